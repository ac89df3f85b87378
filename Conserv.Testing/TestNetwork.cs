using System;
using System.Net;
using System.Net.Security;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;

namespace Conserv.Testing;

/// <summary>
/// An event loop whose connections run in memory and whose clock is virtual: a driver under test gets the same
/// events, in the same order, on one loop thread, as over real sockets, while the test plays the peer
/// (<see cref="TestPeer"/>) and moves time forward (<see cref="AdvanceAsync"/>) so idle, read and connect time-outs and
/// timed pauses run without waiting.
/// </summary>
/// <example>
/// <code>
/// await using var network = new TestNetwork();
/// var peer = await network.AcceptAsync(new EchoDriver());
/// peer.Send("hello\n");
/// Assert.Equal("hello", await peer.ReceiveLineAsync());
/// </code>
/// </example>
public sealed class TestNetwork : IAsyncDisposable
{
    private const int MaxSettleTurns = 100_000;

    private readonly TestNetworkOptions _options;
    private int _nextPort = 40000;

    /// <summary>Starts the network's loop on a thread of its own, with a virtual clock.</summary>
    /// <param name="options">Settings, or null for the defaults.</param>
    public TestNetwork(TestNetworkOptions? options = null)
    {
        _options = options ?? new TestNetworkOptions();
        Clock = new FakeTimeProvider();
        Loop = EventLoop.Start(new EventLoopOptions
        {
            TimeProvider = Clock,
            StopOnSignals = false,
            ThreadName = "Conserv test loop",
            LoggerFactory = _options.LoggerFactory,
            ReadBufferSize = _options.ReadBufferSize,
        });
    }

    /// <summary>
    /// The loop's clock. It only moves when told: prefer <see cref="AdvanceAsync"/>, which also runs what falls due
    /// in order; advancing it directly runs what fell due at the new time, all at once.
    /// </summary>
    public FakeTimeProvider Clock { get; }

    /// <summary>The loop every socket of this network runs on.</summary>
    public EventLoop Loop { get; }

    /// <summary>
    /// A peer connects to <paramref name="driver"/>, which gets the connection as a server's socket would (no connect
    /// event; data, end-of-file, error, output-empty and close events as they come).
    /// </summary>
    /// <param name="driver">The driver under test.</param>
    /// <param name="options">Socket settings (time-outs, water marks, output limit), or null for the defaults.</param>
    /// <param name="externalFormatIn">How incoming bytes are decoded for a text data handler; UTF-8 by default.</param>
    /// <param name="externalFormatOut">How written text is encoded; UTF-8 by default.</param>
    /// <param name="tls">
    /// TLS as a server's <see cref="TcpServerOptions.Tls"/>: the driver's socket does the server's handshake and its connect
    /// event runs after it; the peer speaks TLS through <see cref="TestPeer.AsStream"/> and an <c>SslStream</c>. Null: plain.
    /// </param>
    /// <returns>The peer, once the socket is open on the loop.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="driver"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="tls"/> has no certificate, context or selection callback.</exception>
    public Task<TestPeer> AcceptAsync(ISocketEventDriver driver, TcpSocketOptions? options = null,
        ExternalFormat externalFormatIn = default, ExternalFormat externalFormatOut = default,
        SslServerAuthenticationOptions? tls = null)
    {
        ArgumentNullException.ThrowIfNull(driver);
        options?.Validate(nameof(options));
        if (tls is not null)
        {
            TcpSocket.CheckServerTlsOptions(tls, nameof(tls));
        }

        return OpenAsync(driver, options, externalFormatIn, externalFormatOut, connecting: false, PeerConnectBehavior.Accept, localPort: 7000, tls, null);
    }

    /// <summary>
    /// <paramref name="driver"/> connects, as a client, to a scripted peer that answers as <paramref name="behavior"/>
    /// says: its connect event runs (or its error handlers get the refusal, or its connect time-out ends the wait).
    /// </summary>
    /// <param name="driver">The driver under test.</param>
    /// <param name="behavior">How the peer answers the connect.</param>
    /// <param name="options">Socket settings (connect time-out among them), or null for the defaults.</param>
    /// <param name="externalFormatIn">How incoming bytes are decoded for a text data handler; UTF-8 by default.</param>
    /// <param name="externalFormatOut">How written text is encoded; UTF-8 by default.</param>
    /// <param name="tls">TLS after the connect, as <see cref="TcpSocket.Connect"/>'s <c>tls</c>: the connect event runs after the handshake. Null: plain.</param>
    /// <returns>The peer, once the connect is under way on the loop.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="driver"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="behavior"/> is not a defined value.</exception>
    public Task<TestPeer> ConnectAsync(ISocketEventDriver driver, PeerConnectBehavior behavior = PeerConnectBehavior.Accept,
        TcpSocketOptions? options = null, ExternalFormat externalFormatIn = default, ExternalFormat externalFormatOut = default,
        SslClientAuthenticationOptions? tls = null)
    {
        ArgumentNullException.ThrowIfNull(driver);
        if (!Enum.IsDefined(behavior))
        {
            throw new ArgumentOutOfRangeException(nameof(behavior), behavior, "Not a PeerConnectBehavior.");
        }

        options?.Validate(nameof(options));
        return OpenAsync(driver, options, externalFormatIn, externalFormatOut, connecting: true, behavior, localPort: NextPort(), null, tls);
    }

    /// <summary>
    /// <paramref name="driver"/> listens as a server (its listen event has run when this returns); clients arrive with
    /// <see cref="TestServer.ConnectAsync"/>. Limits, TLS (<see cref="TcpServerOptions.Tls"/>), idle time-outs and the
    /// graceful close work as over a real listener; a paused server turns new clients away (where the kernel would hold
    /// them in its backlog).
    /// </summary>
    /// <param name="driver">The server's driver (server and socket events), or a socket driver for every client.</param>
    /// <param name="options">Server settings, or null for the defaults.</param>
    /// <param name="externalFormatIn">How clients' bytes are decoded for text handlers; UTF-8 by default.</param>
    /// <param name="externalFormatOut">How written text is encoded; UTF-8 by default.</param>
    /// <param name="port">The port the server claims to listen on (what its sockets report as local port). Default 7000.</param>
    /// <returns>The server, listening.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="driver"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> are inconsistent (as <see cref="TcpServer.Listen(IEventDriver, string, int, ExternalFormat, ExternalFormat, EventLoop?, TcpServerOptions?)"/> says).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not 1–65535.</exception>
    public async Task<TestServer> ListenAsync(IEventDriver driver, TcpServerOptions? options = null,
        ExternalFormat externalFormatIn = default, ExternalFormat externalFormatOut = default, int port = 7000)
    {
        ArgumentNullException.ThrowIfNull(driver);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        options ??= new TcpServerOptions();
        options.Validate(nameof(options));
        var server = await OnLoopAsync(l => TcpServer.ListenOverTransport(l, driver, IPAddress.Loopback, port,
            externalFormatIn.Encoding, externalFormatOut.Encoding, options)).ConfigureAwait(false);
        await SettleAsync().ConfigureAwait(false); // the listen event
        return new TestServer(this, server);
    }

    /// <summary>
    /// Waits until the loop has nothing left to do now: every event caused by what the test did so far has run
    /// (including writes, closes and timers due at the current virtual time).
    /// </summary>
    /// <returns>A task that completes once the loop is quiet.</returns>
    /// <exception cref="InvalidOperationException">The loop was still busy after 100,000 turns (work that re-posts itself forever).</exception>
    public Task SettleAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Loop.Post(static s => Settle((SettleState)s!), new SettleState(Loop, done));
        return done.Task;
    }

    /// <summary>
    /// Moves the virtual clock forward by <paramref name="duration"/>, stopping at each timer's due time on the way
    /// so that every timer runs at its own time and in order (an idle time-out re-armed by a timer, a pause that
    /// resumes and then times out, …), and waits until the loop is quiet.
    /// </summary>
    /// <param name="duration">How far; zero or more.</param>
    /// <returns>A task that completes once the loop is quiet at the new time.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is negative.</exception>
    public async Task AdvanceAsync(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        await SettleAsync().ConfigureAwait(false);
        var left = duration;
        while (left > TimeSpan.Zero)
        {
            var next = await OnLoopAsync(static l => l.TimeUntilNextTimer).ConfigureAwait(false);
            var step = next is { } due && due < left ? Max(due, TimeSpan.FromMilliseconds(1)) : left;
            Clock.Advance(step);
            left -= step;
            await SettleAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops the loop: every socket still open is closed (its close event runs) first.</summary>
    /// <returns>A task that completes once the loop has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        Loop.Stop();
        await Loop.Completion.ConfigureAwait(false);
    }

    private async Task<TestPeer> OpenAsync(ISocketEventDriver driver, TcpSocketOptions? options, ExternalFormat formatIn,
        ExternalFormat formatOut, bool connecting, PeerConnectBehavior behavior, int localPort,
        SslServerAuthenticationOptions? serverTls, SslClientAuthenticationOptions? clientTls)
    {
        var local = new IPEndPoint(IPAddress.Loopback, localPort);
        var remote = new IPEndPoint(IPAddress.Loopback, connecting ? 7000 : NextPort());
        var transport = new MemoryTransport(Loop, local, _options.Window, behavior);
        var socket = await OnLoopAsync(l =>
        {
            var made = TcpSocket.OverTransport(l, driver, s =>
            {
                transport.Attach(s);
                return transport;
            }, connecting, options, formatIn.Encoding, formatOut.Encoding, remote.Address, remote.Port, serverTls, clientTls);
            return made;
        }).ConfigureAwait(false);
        return new TestPeer(transport, socket, _options.ReceiveTimeout);
    }

    private Task<T> OnLoopAsync<T>(Func<EventLoop, T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Loop.Post(() =>
        {
            try
            {
                done.SetResult(action(Loop));
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task;
    }

    private int NextPort() => Interlocked.Increment(ref _nextPort);

    /// <summary>A client of <paramref name="server"/> connects from <paramref name="remote"/>.</summary>
    internal async Task<TestPeer> AcceptOnServerAsync(TestServer server, IPEndPoint remote)
    {
        var local = new IPEndPoint(IPAddress.Loopback, server.Server.Port ?? 0);
        var transport = new MemoryTransport(Loop, local, _options.Window, PeerConnectBehavior.Accept);
        var socket = await OnLoopAsync(_ => server.Server.AcceptOverTransport(s =>
        {
            transport.Attach(s);
            return transport;
        }, remote.Address, remote.Port)).ConfigureAwait(false);
        if (socket is null)
        {
            transport.TurnAway();
        }

        return new TestPeer(transport, socket, _options.ReceiveTimeout);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static void Settle(SettleState state)
    {
        if (state.Loop.IsQuiet)
        {
            state.Done.TrySetResult();
        }
        else if (++state.Turns > MaxSettleTurns)
        {
            state.Done.TrySetException(new InvalidOperationException(
                $"The test loop was still busy after {MaxSettleTurns:N0} turns: does some work post itself again forever?"));
        }
        else
        {
            state.Loop.Post(static s => Settle((SettleState)s!), state); // behind what is queued now
        }
    }

    private sealed class SettleState(EventLoop loop, TaskCompletionSource done)
    {
        public EventLoop Loop { get; } = loop;

        public TaskCompletionSource Done { get; } = done;

        public int Turns { get; set; }
    }
}
