using System;
using System.IO;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Interop;

namespace Conserv;

/// <summary>
/// A connected stream socket — TCP over IPv4 or IPv6, or Unix-domain — whose events go to a driver on one
/// event-loop thread. Created by <see cref="Connect"/>, <see cref="ConnectUnix"/>, or by a
/// <see cref="TcpServer"/> when it accepts a client.
/// </summary>
/// <remarks>
/// Writes queue and return at once; everything one loop callback wrote goes to the kernel in one gathered write
/// when the callback returns. Every public member is safe from any thread: off the loop thread, actions are
/// queued to the loop.
/// </remarks>
public sealed partial class TcpSocket : IPollTarget, IAsyncDisposable
{
    private static readonly TcpSocketOptions s_defaultOptions = new();

    private readonly EventLoop _loop;
    private readonly TcpSocketOptions _options;
    private readonly TcpServer? _server;
    private readonly string? _host;
    private readonly string? _path;
    private SocketTransport? _transport;
    private SocketState _state;
    private ISocketEventDriver? _driver;
    private SocketDriverFeatures _features;
    private Encoding? _formatIn;
    private Encoding? _formatOut;
    private Decoder? _decoder;
    private Encoding? _decoderEncoding;
    private Encoder? _encoder;
    private Encoding? _encoderEncoding;
    private long _bytesRead;
    private long _bytesWritten;
    private IPAddress? _remoteAddress;
    private int _remotePort;
    private IPAddress? _localAddress;
    private int _localPort;
    private CloseSignal _closeSignal;
    private SocketTextWriter? _out;

    private TcpSocket(EventLoop loop, ISocketEventDriver? driver, TcpServer? server, TcpSocketOptions? options,
        Encoding? formatIn, Encoding? formatOut, string? host, string? path)
    {
        _loop = loop;
        _server = server;
        _options = options ?? s_defaultOptions;
        _formatIn = formatIn;
        _formatOut = formatOut;
        _host = host;
        _path = path;
        InitializeFlow(_options);
        _idleTimeout = _options.IdleTimeout;
        SetDriver(driver);
    }

    private enum SocketState : byte
    {
        /// <summary>A client socket waiting for its host name to resolve.</summary>
        Resolving,

        /// <summary>A client socket whose non-blocking connect is under way.</summary>
        Connecting,

        /// <summary>Connected; reading and writing (unless closing).</summary>
        Open,

        /// <summary>Closed; its close event has fired.</summary>
        Closed,
    }

    /// <summary>The socket whose event is running on this thread.</summary>
    /// <exception cref="InvalidOperationException">No socket event is running on this thread.</exception>
    public static TcpSocket Current => EventLoop.Current?.CurrentSocket
        ?? throw new InvalidOperationException("TcpSocket.Current is only set while a socket event runs on its loop thread. Take a TcpSocket parameter in the handler instead.");

    /// <summary>The loop that runs this socket's events.</summary>
    public EventLoop Loop => _loop;

    /// <summary>
    /// The driver that receives this socket's events. It may be replaced at any time (typically in
    /// <see cref="OnServerConnectionAttribute">OnServerConnection</see>); later events go to the new driver.
    /// Null for an accepted socket whose server's driver handles no socket events.
    /// </summary>
    public ISocketEventDriver? Driver
    {
        get => _driver;
        set => SetDriver(value); // a reference swap: safe from any thread, seen by the loop's next event
    }

    /// <summary>The server that accepted this socket, or null for a client socket.</summary>
    public TcpServer? Server => _server;

    /// <summary>
    /// How incoming bytes are decoded to text for a text data handler; null for raw bytes. Decoding is
    /// stateful: a character split across two reads arrives whole. Setting it starts a fresh decoder.
    /// </summary>
    public Encoding? ExternalFormatIn
    {
        get => _formatIn;
        set
        {
            // Stored at once (a reference write is atomic) so that reading it back from any thread sees it;
            // only the decoder reset is queued to the loop. Decode also rebuilds a decoder of another encoding.
            _formatIn = value;
            _loop.RunOrPost(this, static (s, _) => s._decoder = null, null);
        }
    }

    /// <summary>
    /// How text written to the socket is encoded; null means the socket takes bytes only, and writing text
    /// throws <see cref="InvalidOperationException"/>. The format in force at each write call applies.
    /// </summary>
    public Encoding? ExternalFormatOut
    {
        get => _formatOut;
        set
        {
            // Stored at once, so a write made right after the assignment (from any thread) uses it, as the
            // "format in force at the write call" rule says; Write rebuilds an encoder of another encoding.
            _formatOut = value;
            _loop.RunOrPost(this, static (s, _) => s._encoder = null, null);
        }
    }

    /// <summary>Bytes read from the socket so far: the sum of every data event's length.</summary>
    public long BytesRead => Volatile.Read(ref _bytesRead);

    /// <summary>Bytes the kernel has accepted for sending so far (not bytes still queued).</summary>
    public long BytesWritten => Volatile.Read(ref _bytesWritten);

    /// <summary>Bytes written but not yet accepted by the kernel.</summary>
    public long BytesQueued => _output?.Length ?? 0;

    /// <summary>True for a Unix-domain (local IPC) socket.</summary>
    public bool IsLocal => _path is not null;

    /// <summary>
    /// The remote host: its IP address as text, the host name while a client socket resolves it, or the
    /// socket file's path for a Unix-domain socket.
    /// </summary>
    public string? RemoteName => _path ?? _remoteAddress?.ToString() ?? _host;

    /// <summary>The remote port, or null for a Unix-domain socket.</summary>
    public int? RemotePort => _path is null ? _remotePort : null;

    /// <summary>The local IP address as text once connected, or the socket file's path for a Unix-domain socket.</summary>
    public string? LocalName => _path ?? _localAddress?.ToString();

    /// <summary>The local port once connected, or null for a Unix-domain socket.</summary>
    public int? LocalPort => _path is null && _localAddress is not null ? _localPort : null;

    /// <summary>The remote IP endpoint, or null for a Unix-domain socket or before the connect.</summary>
    public IPEndPoint? RemoteEndPoint => _remoteAddress is null ? null : new IPEndPoint(_remoteAddress, _remotePort);

    /// <summary>True while reads are paused by <see cref="Pause"/>.</summary>
    public bool IsPaused => _userPaused;

    /// <summary>True once the socket has closed (its close event has run or is running).</summary>
    public bool IsClosed => _state == SocketState.Closed;

    /// <summary>Completes after the socket's close event has run.</summary>
    public Task Closed => _closeSignal.Task;

    /// <summary>Cancelled when the socket closes; async handlers can pass it on to what they await.</summary>
    public CancellationToken ClosedToken => _closeSignal.Token;

    /// <summary>A <see cref="TextWriter"/> that writes to this socket with <see cref="ExternalFormatOut"/>.</summary>
    public TextWriter Out => _out ??= new SocketTextWriter(this);

    /// <summary>A write-only <see cref="Stream"/> over this socket, for code that wants a stream. Data arrives through events, not reads.</summary>
    /// <returns>The stream; disposing it does not close the socket.</returns>
    public Stream AsStream() => new SocketStream(this);

    /// <summary>
    /// Stops read events: data stays in the kernel, so the peer feels real backpressure. Writes go on.
    /// With <paramref name="timeout"/>, reads resume by themselves after it; pausing a paused socket
    /// changes nothing but still arms its timeout.
    /// </summary>
    /// <param name="timeout">When to resume by itself, or null to stay paused until <see cref="Resume"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative.</exception>
    public void Pause(TimeSpan? timeout = null)
    {
        if (timeout is { } t && t < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "The timeout must not be negative.");
        }

        _loop.RunOrPost(this, static (s, t) => s.PauseCore((TimeSpan?)t), timeout);
    }

    /// <summary>Resumes read events after <see cref="Pause"/>. Does nothing on a socket that is not paused.</summary>
    public void Resume() => _loop.RunOrPost(this, static (s, _) => s.ResumeCore(), null);

    /// <summary>
    /// Closes gracefully: stops reading, sends everything queued (including writes made in the same handler
    /// after this call), then closes and raises the close event. Does nothing if already closing or closed.
    /// </summary>
    public void Close() => _loop.RunOrPost(this, static (s, _) => s.CloseCore(), null);

    /// <summary>
    /// Closes now and discards queued output. Called on the loop thread, the close event has run when it
    /// returns. Does nothing if already closed.
    /// </summary>
    public void Abort() => _loop.RunOrPost(this, static (s, _) => s.AbortCore(null), null);

    /// <summary>Closes gracefully and waits for the close event.</summary>
    /// <returns>A task that completes once the socket has closed.</returns>
    public ValueTask DisposeAsync()
    {
        Close();
        return new ValueTask(Closed);
    }

    /// <inheritdoc/>
    public override string ToString() => IsLocal
        ? $"TcpSocket(unix:{_path})"
        : $"TcpSocket({LocalName}:{LocalPort} -> {RemoteName}:{RemotePort})";

    private void SetDriver(ISocketEventDriver? driver)
    {
        _driver = driver;
        _features = driver?.Features ?? SocketDriverFeatures.None;
    }

    private void ThrowIfClosed()
    {
        if (_state == SocketState.Closed)
        {
            throw new ObjectDisposedException(ToString(), "The socket is closed.");
        }
    }
}
