using System;

namespace Conserv;

/// <summary>Settings of an <see cref="EventLoop"/>.</summary>
public sealed class EventLoopOptions
{
    private int _readBufferSize = 256 * 1024;

    /// <summary>
    /// The most one read takes, and so the most one data event carries. Reads start at 16 KiB (or this, if smaller)
    /// and adapt per socket: a socket whose reads fill what they ask for (bulk) reads twice as much next time, up to
    /// this; one whose reads stay small comes back down to 16 KiB. All sockets of a loop share one read buffer, so
    /// the size costs memory once per loop, not per connection. Default 256 KiB; between 256 bytes and 16 MiB.
    /// </summary>
    public int ReadBufferSize
    {
        get => _readBufferSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 256, nameof(ReadBufferSize));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 16 * 1024 * 1024, nameof(ReadBufferSize));
            _readBufferSize = value;
        }
    }

    private TimeSpan _spinBeforeWait;

    /// <summary>
    /// How long the loop keeps polling without blocking before it sleeps in the kernel; default zero (never spin).
    /// Spinning lowers the latency of a lightly loaded request/response server (a sleeping thread takes a few
    /// tens of microseconds to wake on a VM) at the price of CPU time; under load it buys nothing. See
    /// docs/performance.md for measurements. Between zero and 10 ms.
    /// </summary>
    public TimeSpan SpinBeforeWait
    {
        get => _spinBeforeWait;
        set
        {
            if (value < TimeSpan.Zero || value > TimeSpan.FromMilliseconds(10))
            {
                throw new ArgumentOutOfRangeException(nameof(SpinBeforeWait), value, "The spin must be between zero and 10 ms.");
            }

            _spinBeforeWait = value;
        }
    }

    private TimeSpan _shutdownTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// For a loop run by <see cref="EventLoop.Run(System.Action, EventLoopOptions?)"/>: whether SIGINT (Ctrl+C) and
    /// SIGTERM stop it gracefully (see <see cref="EventLoop.Stop(TimeSpan)"/>, with <see cref="ShutdownTimeout"/>)
    /// instead of killing the process, so close handlers run and <c>Run</c> returns. A second signal stops it at
    /// once. Default true. A process started with SIGINT ignored (a command a script runs in the background)
    /// keeps ignoring it, as .NET does for every program; SIGTERM still stops it.
    /// </summary>
    public bool StopOnSignals { get; set; } = true;

    /// <summary>The drain period of a stop by signal (<see cref="StopOnSignals"/>). Default 5 seconds; zero or more.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan ShutdownTimeout
    {
        get => _shutdownTimeout;
        set
        {
            if (value < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(ShutdownTimeout), value, "The drain period must not be negative.");
            }

            _shutdownTimeout = value;
        }
    }

    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>
    /// The clock of the loop's timers (<see cref="EventLoop.Schedule(TimeSpan, Action)"/>) and of every time-out and timed pause of its
    /// sockets and servers. Default <see cref="TimeProvider.System"/>. A test can pass a fake clock (such as
    /// <c>FakeTimeProvider</c>): the loop then sleeps until that clock's own timer says something fell due, so
    /// advancing it runs what is due at once, without waiting in real time.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(TimeProvider));
    }

    /// <summary>The name of the loop's thread, for debuggers and logs. Default "Conserv event loop".</summary>
    public string ThreadName { get; set; } = "Conserv event loop";

    /// <summary>
    /// Where the loop's servers and sockets log (categories <c>Conserv.Server</c> and <c>Conserv.Connection</c>):
    /// listening and closing, accepted, rejected and closed connections with their cause, error dispatch outcomes,
    /// time-outs, output overflows, transient accept failures, and handler exceptions nobody took. Nothing is logged
    /// per read or write. An exception nobody took goes to <see cref="EventLoop.UnhandledException"/> if it has a
    /// subscriber, else to this logger, else to standard error. Null (the default): nothing is logged.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }
}
