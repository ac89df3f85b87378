using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Interop;

namespace Conserv;

/// <summary>
/// A listening socket — TCP or Unix-domain — that accepts clients and gives each its driver. Created by
/// <see cref="Listen(IEventDriver, string, int, ExternalFormat, ExternalFormat, EventLoop?, TcpServerOptions?)"/> or
/// <see cref="ListenUnix"/>. All its events and all its clients' events run on one loop thread.
/// </summary>
public sealed partial class TcpServer : IPollTarget, IAsyncDisposable
{
    private readonly EventLoop _loop;
    private readonly TcpServerOptions _options;
    private readonly object? _tls; // the prepared SslServerAuthenticationOptions; object, so a plain server loads no TLS type
    private readonly IPAddress? _address;
    private readonly string? _unixPath;
    private readonly HashSet<TcpSocket> _clients = new(ReferenceEqualityComparer.Instance);
    private readonly object _clientsLock = new();
    private IEventDriver _driver;
    private IServerEventDriver? _serverDriver;
    private int _fd;
    private int _slot = -1;
    private bool _registered;
    private ServerState _state = ServerState.Starting;
    private bool _paused;
    private PauseTimeout _pauseTimeout;
    private int _clientCount;
    private Exception? _closeCause;
    private CloseSignal _closeSignal;

    private TcpServer(EventLoop loop, IEventDriver driver, int fd, IPAddress? address, int port, string? unixPath,
        Encoding? formatIn, Encoding? formatOut, TcpServerOptions options)
    {
        _loop = loop;
        _driver = driver;
        _serverDriver = driver as IServerEventDriver;
        _fd = fd;
        _address = address;
        // A Unix-domain server has no port: Port is documented as null for it, not 0.
        Port = unixPath is null ? port : null;
        _unixPath = unixPath;
        ExternalFormatIn = formatIn;
        ExternalFormatOut = formatOut;
        _options = options;
        _tls = options.UsesTls ? PrepareTls(options) : null;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)] // TLS types only here
    private static object PrepareTls(TcpServerOptions options) => TlsServerSettings.Prepare(options.Tls!);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void StartTls(TcpSocket client) => client.StartServerTls((System.Net.Security.SslServerAuthenticationOptions)_tls!);

    private enum ServerState : byte
    {
        Starting,
        Listening,
        Closing,
        Closed,
    }

    /// <summary>The server whose event is running on this thread.</summary>
    /// <exception cref="InvalidOperationException">No server event is running on this thread.</exception>
    public static TcpServer Current => EventLoop.Current?.CurrentServer
        ?? throw new InvalidOperationException("TcpServer.Current is only set while a server event runs on its loop thread. Take a TcpServer parameter in the handler instead.");

    /// <summary>The loop that runs this server's events and its clients' events.</summary>
    public EventLoop Loop => _loop;

    /// <summary>The listening descriptor: tests read its epoll interest from /proc/self/fdinfo.</summary>
    internal int ListenerDescriptor => _fd;

    /// <summary>
    /// The driver of the server's events, and the driver each accepted socket starts with (when it
    /// implements <see cref="ISocketEventDriver"/>). Replacing it affects clients accepted afterwards.
    /// </summary>
    public IEventDriver Driver
    {
        get => _driver;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _driver = value;
            _serverDriver = value as IServerEventDriver;
        }
    }

    /// <summary>The input format accepted sockets start with (null: raw bytes).</summary>
    public Encoding? ExternalFormatIn { get; set; }

    /// <summary>The output format accepted sockets start with (null: bytes only).</summary>
    public Encoding? ExternalFormatOut { get; set; }

    /// <summary>The port the server listens on (the one picked when it was asked for port 0); null for a Unix-domain server.</summary>
    public int? Port { get; }

    /// <summary>The local address the server listens on, or the socket file's path for a Unix-domain server.</summary>
    public string LocalName => _unixPath ?? _address!.ToString();

    /// <summary>True for a Unix-domain (local IPC) server.</summary>
    public bool IsLocal => _unixPath is not null;

    internal string? UnixPath => _unixPath;

    /// <summary>A snapshot of the connected clients.</summary>
    public IReadOnlyList<TcpSocket> Clients
    {
        get
        {
            lock (_clientsLock)
            {
                return new List<TcpSocket>(_clients);
            }
        }
    }

    /// <summary>The number of connected clients.</summary>
    public int ClientCount => Volatile.Read(ref _clientCount);

    /// <summary>True while the server does not accept (see <see cref="Pause"/>).</summary>
    public bool IsPaused => _paused;

    /// <summary>True once the server has closed (its close event has run or is running).</summary>
    public bool IsClosed => _state == ServerState.Closed;

    /// <summary>Completes after the server's close event has run.</summary>
    public Task Closed => _closeSignal.Task;

    /// <summary>Cancelled when the server closes.</summary>
    public CancellationToken ClosedToken => _closeSignal.Token;

    /// <summary>
    /// Stops accepting: new clients wait in the kernel's backlog (and may time out there); connected clients
    /// go on. With <paramref name="timeout"/>, accepting resumes by itself after it; pausing a paused server
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

    /// <summary>Accepts clients again after <see cref="Pause"/>. Does nothing on a server that is not paused.</summary>
    public void Resume() => _loop.RunOrPost(this, static (s, _) => s.ResumeCore(), null);

    /// <summary>
    /// Stops accepting at once, closes every client gracefully (each sends what it has queued), and raises
    /// the server's close event after the last client's. Does nothing if already closing or closed.
    /// </summary>
    public void Close() => _loop.RunOrPost(this, static (s, _) => s.CloseCore(), null);

    /// <summary>
    /// Closes gracefully as <see cref="Close()"/> does, and aborts the clients that have not finished after
    /// <paramref name="drainTimeout"/> (a client that never reads would otherwise hold the close forever). The
    /// close events of every client, then of the server, always run.
    /// </summary>
    /// <param name="drainTimeout">How long clients may take to send what they have queued; zero aborts them at once.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="drainTimeout"/> is negative.</exception>
    public void Close(TimeSpan drainTimeout)
    {
        if (drainTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(drainTimeout), drainTimeout, "The drain period must not be negative.");
        }

        _loop.RunOrPost(this, static (s, t) => s.CloseCore((TimeSpan)t!), drainTimeout);
    }

    /// <summary>Closes the server and waits for its close event.</summary>
    /// <returns>A task that completes once the server has closed.</returns>
    public ValueTask DisposeAsync()
    {
        Close();
        return new ValueTask(Closed);
    }

    /// <inheritdoc/>
    public override string ToString() => IsLocal ? $"TcpServer(unix:{_unixPath})" : $"TcpServer({LocalName}:{Port})";
}
