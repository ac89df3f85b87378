using System;

namespace Conserv.Testing;

/// <summary>Settings of a <see cref="TestNetwork"/>.</summary>
public sealed class TestNetworkOptions
{
    private int _window = 64 * 1024;
    private TimeSpan _receiveTimeout = TimeSpan.FromSeconds(10);
    private int _readBufferSize = new EventLoopOptions().ReadBufferSize;

    /// <summary>
    /// How many bytes a driver can write to a peer that stopped reading (<see cref="TestPeer.StopReading"/>) before its
    /// writes queue in the socket: the kernel's send and receive buffers of a real connection. Default 64 KiB; at least 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int Window
    {
        get => _window;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Window));
            _window = value;
        }
    }

    /// <summary>
    /// The most real time a peer's receive waits (<see cref="TestPeer.ReceiveAsync(int, System.Threading.CancellationToken)"/>, …)
    /// before it fails with a <see cref="TimeoutException"/> that says what had arrived: a broken driver fails its test
    /// instead of hanging it. Default 10 seconds; more than zero.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan ReceiveTimeout
    {
        get => _receiveTimeout;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero, nameof(ReceiveTimeout));
            _receiveTimeout = value;
        }
    }

    /// <summary>
    /// The most one read of a socket takes, as <see cref="EventLoopOptions.ReadBufferSize"/> of the test loop. A small
    /// value (the least is 256 bytes) cuts what a peer sends into many reads, so a driver's framing meets a read
    /// boundary inside its messages. Default as the loop's, 256 KiB; between 256 bytes and 16 MiB.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside that range.</exception>
    public int ReadBufferSize
    {
        get => _readBufferSize;
        set => _readBufferSize = new EventLoopOptions { ReadBufferSize = value }.ReadBufferSize; // the loop's own check
    }

    /// <summary>Where the test loop logs, as <see cref="EventLoopOptions.LoggerFactory"/>; null (the default) logs nothing.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }
}
