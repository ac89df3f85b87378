using System;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Tasks;
using Conserv.Interop;

namespace Conserv;

// Creating sockets: client connects (by address, host name or Unix path) and sockets accepted by a server.
public sealed partial class TcpSocket
{
    // The addresses a host name resolved to, tried in order until one connects.
    private IPAddress[]? _addresses;
    private int _addressIndex;

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/> over TCP. Returns at once; the driver's
    /// connect event fires once the connection is really established, or its error event (then close) if it fails.
    /// </summary>
    /// <param name="driver">Receives the socket's events.</param>
    /// <param name="host">An IPv4 or IPv6 address, or a host name (resolved without blocking the loop).</param>
    /// <param name="port">The port, 1–65535.</param>
    /// <param name="externalFormatIn">How to decode incoming text; left out: UTF-8; <see langword="null"/>: raw bytes.</param>
    /// <param name="externalFormatOut">How to encode written text; left out: UTF-8; <see langword="null"/>: bytes only.</param>
    /// <param name="loop">The loop to run on; by default the calling loop, or one of <see cref="EventLoopGroup.Default"/> off any loop.</param>
    /// <param name="options">Socket settings, or null for the defaults.</param>
    /// <param name="tls">
    /// TLS after the TCP connect: the server name (left null: <paramref name="host"/>), certificate validation, client
    /// certificates, ALPN. The connect event then runs once the handshake has completed. Null: plain TCP.
    /// </param>
    /// <returns>The socket, connecting.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="driver"/> or <paramref name="host"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="host"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not 1–65535.</exception>
    public static TcpSocket Connect(ISocketEventDriver driver, string host, int port,
        ExternalFormat externalFormatIn = default, ExternalFormat externalFormatOut = default,
        EventLoop? loop = null, TcpSocketOptions? options = null, SslClientAuthenticationOptions? tls = null)
    {
        ArgumentNullException.ThrowIfNull(driver);
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "The port must be between 1 and 65535.");
        }

        options?.Validate(nameof(options));

        loop ??= EventLoop.Current ?? EventLoopGroup.Default.Next();
        var socket = new TcpSocket(loop, driver, null, options, externalFormatIn.Encoding, externalFormatOut.Encoding, host, null)
        {
            _remotePort = port,
            _clientTls = tls,
        };
        socket.Begin(static s => s.Resolve());
        return socket;
    }

    /// <summary>
    /// Connects to the Unix-domain socket at <paramref name="path"/>. Returns at once; events as for <see cref="Connect"/>.
    /// </summary>
    /// <param name="driver">Receives the socket's events.</param>
    /// <param name="path">The socket file's path.</param>
    /// <param name="externalFormatIn">How to decode incoming text; left out: UTF-8; <see langword="null"/>: raw bytes.</param>
    /// <param name="externalFormatOut">How to encode written text; left out: UTF-8; <see langword="null"/>: bytes only.</param>
    /// <param name="loop">The loop to run on; by default the calling loop, or one of <see cref="EventLoopGroup.Default"/>.</param>
    /// <param name="options">Socket settings, or null for the defaults.</param>
    /// <returns>The socket, connecting.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="driver"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or longer than a Unix socket path can be.</exception>
    public static TcpSocket ConnectUnix(ISocketEventDriver driver, string path,
        ExternalFormat externalFormatIn = default, ExternalFormat externalFormatOut = default,
        EventLoop? loop = null, TcpSocketOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(driver);
        ValidateUnixPath(path);
        options?.Validate(nameof(options));
        loop ??= EventLoop.Current ?? EventLoopGroup.Default.Next();
        var socket = new TcpSocket(loop, driver, null, options, externalFormatIn.Encoding, externalFormatOut.Encoding, null, path);
        socket.Begin(static s => s.StartConnect(null));
        return socket;
    }

    internal static void ValidateUnixPath(string path, string parameterName = "path")
    {
        ArgumentException.ThrowIfNullOrEmpty(path, parameterName);
        if (System.Text.Encoding.UTF8.GetByteCount(path) > SockAddr.MaxUnixPathBytes)
        {
            throw new ArgumentException($"A Unix socket path can be at most {SockAddr.MaxUnixPathBytes} bytes long: '{path}'.", parameterName);
        }
    }

    /// <summary>A socket the server accepted: already connected and registered for reads.</summary>
    internal static TcpSocket Accepted(EventLoop loop, TcpServer server, int fd, IPAddress? remoteAddress, int remotePort, TcpSocketOptions options) =>
        Accepted(loop, server, s => new EpollTransport(loop, s, fd), remoteAddress, remotePort, options);

    /// <summary>A socket the server accepted over the transport <paramref name="createTransport"/> makes for it (the kernel's, or one in memory).</summary>
    internal static TcpSocket Accepted(EventLoop loop, TcpServer server, Func<TcpSocket, SocketTransport> createTransport,
        IPAddress? remoteAddress, int remotePort, TcpSocketOptions options)
    {
        var socket = new TcpSocket(loop, server.Driver as ISocketEventDriver, server, options,
            server.ExternalFormatIn, server.ExternalFormatOut, null, server.UnixPath)
        {
            _state = SocketState.Open,
            _remoteAddress = remoteAddress,
            _remotePort = remotePort,
        };
        socket._transport = createTransport(socket);
        if (server.UnixPath is null)
        {
            socket._transport.GetLocalEndPoint(out socket._localAddress, out socket._localPort);
            socket._transport.ApplyTcpOptions(options);
        }

        loop.Track(socket);
        socket.CountOpened();
        socket.UpdateInterest();
        socket.StartIdleTimer();
        return socket;
    }

    /// <summary>The remote IP address (null for a Unix-domain socket), without allocating an endpoint.</summary>
    internal IPAddress? RemoteAddress => _remoteAddress;

    /// <summary>Counts the socket on its loop now and starts it there with <paramref name="start"/>.</summary>
    private void Begin(Action<TcpSocket> start)
    {
        _state = SocketState.Resolving;
        if (_loop.IsLoopThread)
        {
            _loop.Track(this);
        }

        _loop.Post(static s =>
        {
            var (socket, start) = ((TcpSocket, Action<TcpSocket>))s!;

            // A socket aborted before it got here (Abort() in the same turn as Connect) is already closed and
            // forgotten: tracking it again would keep a loop started by EventLoop.Run alive forever.
            if (socket._state != SocketState.Closed)
            {
                socket._loop.Track(socket);
                socket.StartConnectTimer();
                start(socket);
            }
        }, (this, start));
    }

    private void Resolve()
    {
        if (IPAddress.TryParse(_host, out var address))
        {
            StartConnect(address);
            return;
        }

        Dns.GetHostAddressesAsync(_host!).ContinueWith(static (task, s) =>
        {
            var socket = (TcpSocket)s!;
            socket._loop.Post(static r =>
            {
                var (socket, task) = ((TcpSocket, Task<IPAddress[]>))r!;
                if (socket._state == SocketState.Closed)
                {
                    return;
                }

                if (task.IsCompletedSuccessfully && task.Result.Length > 0)
                {
                    socket.ConnectInTurn(task.Result);
                }
                else
                {
                    Exception error = task.Exception?.InnerException
                        ?? new SocketException((int)SocketError.HostNotFound, $"No address found for '{socket._host}'.");
                    socket.RaiseError(error, fatal: true);
                }
            }, (socket, task));
        }, this, TaskScheduler.Default);
    }

    /// <summary>Connects to the first of <paramref name="addresses"/>, falling back to the next ones on failure.</summary>
    private void ConnectInTurn(IPAddress[] addresses)
    {
        _addresses = addresses;
        _addressIndex = 0;
        StartConnect(addresses[0]);
    }

    /// <summary>
    /// Connects to the first of <paramref name="addresses"/> that accepts, as a host name with several
    /// addresses does; lets tests exercise that fallback without a resolver that returns two addresses.
    /// </summary>
    internal static TcpSocket ConnectToAny(ISocketEventDriver driver, IPAddress[] addresses, int port, EventLoop? loop = null)
    {
        loop ??= EventLoop.Current ?? EventLoopGroup.Default.Next();
        var socket = new TcpSocket(loop, driver, null, null, ExternalFormat.Utf8, ExternalFormat.Utf8, string.Join(",", (object[])addresses), null)
        {
            _remotePort = port,
        };
        socket.Begin(s => s.ConnectInTurn(addresses));
        return socket;
    }

    /// <summary>Starts the non-blocking connect; completion is reported by writability (see <see cref="OnConnectReady"/>).</summary>
    private unsafe void StartConnect(IPAddress? address)
    {
        _remoteAddress = address;
        int family = address is null ? Libc.AF_UNIX : SockAddr.Family(address);
        int fd = Libc.socket(family, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            RaiseError(Errno.Exception(Libc.Errno, "socket"), fatal: true);
            return;
        }

        var transport = new EpollTransport(_loop, this, fd);
        _transport = transport;
        if (address is not null)
        {
            transport.ApplyTcpOptions(_options);
        }

        byte* sockaddr = stackalloc byte[SockAddr.MaxSize];
        var span = new Span<byte>(sockaddr, SockAddr.MaxSize);
        int length = address is null ? SockAddr.WriteUnix(span, _path!) : SockAddr.Write(span, address, _remotePort);
        if (Libc.connect(fd, sockaddr, length) != 0)
        {
            int errno = Libc.Errno;
            if (errno != Libc.EINPROGRESS)
            {
                if (!TryNextAddress())
                {
                    RaiseError(Errno.Exception(errno, $"connect to {ConnectTarget}"), fatal: true);
                }

                return;
            }
        }

        _state = SocketState.Connecting;
        transport.SetInterest(Libc.EPOLLOUT, hungUp: false);
    }

    /// <summary>
    /// After a failed connect to one address of a resolved host name, tries the next one (a name such as
    /// "localhost" often has an IPv6 and an IPv4 address, and a server may listen on only one). The
    /// error event comes only when every address failed.
    /// </summary>
    private bool TryNextAddress()
    {
        if (_addresses is null || _addressIndex + 1 >= _addresses.Length)
        {
            return false;
        }

        ReleaseDescriptor();
        _addressIndex++;
        StartConnect(_addresses[_addressIndex]);
        return true;
    }

    /// <summary>Where a client socket connects, for error messages: <c>unix:/path</c> or <c>address:port</c>.</summary>
    private string ConnectTarget => _path is not null ? $"unix:{_path}"
        : _remoteAddress is { } address ? new IPEndPoint(address, _remotePort).ToString() : $"{_host}:{_remotePort}";

    // ---- completion (readiness of a connecting socket) -----------------------------------------

    private void OnConnectReady(uint events)
    {
        int error = _transport!.TakeError();
        if (error == 0 && (events & Libc.EPOLLOUT) == 0)
        {
            error = Libc.ECONNREFUSED;
        }

        if (error != 0)
        {
            if (TryNextAddress())
            {
                return;
            }

            RaiseError(Errno.Exception(error, $"connect to {ConnectTarget}"), fatal: true);
            return;
        }

        _state = SocketState.Open;
        CountOpened();
        _transport.GetLocalEndPoint(out _localAddress, out _localPort);
        OnConnected();
        if (_clientTls is not null)
        {
            BeginClientTls(); // the connect event runs once the handshake has completed
            return;
        }

        UpdateInterest();
        RaiseConnect();
    }

    /// <summary>Raises the connect event: after the TCP connect, or after the TLS handshake; then sends what was queued.</summary>
    private void RaiseConnect()
    {
        var driver = _driver;
        if (driver is not null)
        {
            var previous = Enter();
            try
            {
                ObserveHandler(driver.OnSocketConnect(this));
            }
            catch (Exception e)
            {
                RaiseError(e, fatal: false);
            }
            finally
            {
                Exit(previous);
            }
        }

        if (_output is { IsEmpty: false } && _state == SocketState.Open)
        {
            FlushOutput();
        }
    }
}
