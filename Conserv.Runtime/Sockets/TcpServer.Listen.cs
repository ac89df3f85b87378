using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Conserv.Interop;

namespace Conserv;

// Opening servers: the listening socket is bound on the calling thread, so bind errors throw at the call;
// the server then joins its loop, where OnServerListen fires.
public sealed partial class TcpServer
{
    private static readonly TcpServerOptions s_defaultOptions = new();

    /// <summary>
    /// Listens for TCP clients on <paramref name="host"/>:<paramref name="port"/>. Returns once the listener is
    /// bound; the listen event then fires on the server's loop.
    /// </summary>
    /// <param name="driver">Receives the server's events and is the driver of every accepted socket (unless replaced in OnServerConnection).</param>
    /// <param name="host">The local address to bind: an IPv4 or IPv6 address, "localhost" (127.0.0.1), or "*" (every IPv4 address). Default 127.0.0.1.</param>
    /// <param name="port">The port, 0–65535; 0 picks a free port, reported by <see cref="Port"/>.</param>
    /// <param name="externalFormatIn">Input format of accepted sockets; left out: UTF-8; <see langword="null"/>: raw bytes.</param>
    /// <param name="externalFormatOut">Output format of accepted sockets; left out: UTF-8; <see langword="null"/>: bytes only.</param>
    /// <param name="loop">The loop to run on; by default the calling loop, or one of <see cref="EventLoopGroup.Default"/> off any loop.</param>
    /// <param name="options">Server settings, or null for the defaults.</param>
    /// <returns>The listening server.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="driver"/> or <paramref name="host"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="host"/> is empty or names no address.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not 0–65535.</exception>
    /// <exception cref="SocketException">The address is in use or cannot be bound, or the process has no descriptor left (<c>socket: Too many open files (EMFILE)</c>).</exception>
    public static TcpServer Listen(IEventDriver driver, string host = "127.0.0.1", int port = 0,
        ExternalFormat externalFormatIn = default, ExternalFormat externalFormatOut = default,
        EventLoop? loop = null, TcpServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(driver);
        var address = ParseHost(host);
        if (port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "The port must be between 0 and 65535.");
        }

        options ??= s_defaultOptions;
        options.Validate(nameof(options));
        loop ??= EventLoop.Current ?? EventLoopGroup.Default.Next();
        int fd = BindTcp(address, port, options, out int boundPort);
        return Start(new TcpServer(loop, driver, fd, address, boundPort, null,
            externalFormatIn.Encoding, externalFormatOut.Encoding, options));
    }

    /// <summary>
    /// Listens for clients on the Unix-domain socket file <paramref name="path"/>. A stale socket file (nothing
    /// accepts on it) is replaced; a live one, or a file that is not a socket, makes this throw. The file is
    /// removed when the server closes.
    /// </summary>
    /// <param name="driver">Receives the server's events and is the driver of every accepted socket.</param>
    /// <param name="path">The socket file's path.</param>
    /// <param name="externalFormatIn">Input format of accepted sockets; left out: UTF-8; <see langword="null"/>: raw bytes.</param>
    /// <param name="externalFormatOut">Output format of accepted sockets; left out: UTF-8; <see langword="null"/>: bytes only.</param>
    /// <param name="loop">The loop to run on; by default the calling loop, or one of <see cref="EventLoopGroup.Default"/>.</param>
    /// <param name="options">Server settings, or null for the defaults.</param>
    /// <returns>The listening server.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="driver"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or too long.</exception>
    /// <exception cref="SocketException">A live server already listens at <paramref name="path"/> (address in use), or the process has no descriptor left.</exception>
    /// <exception cref="IOException">A file that is not a socket exists at <paramref name="path"/>.</exception>
    public static TcpServer ListenUnix(IEventDriver driver, string path,
        ExternalFormat externalFormatIn = default, ExternalFormat externalFormatOut = default,
        EventLoop? loop = null, TcpServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(driver);
        TcpSocket.ValidateUnixPath(path);
        options ??= s_defaultOptions;
        options.Validate(nameof(options));
        loop ??= EventLoop.Current ?? EventLoopGroup.Default.Next();
        int fd = BindUnix(path, options);
        return Start(new TcpServer(loop, driver, fd, null, 0, path,
            externalFormatIn.Encoding, externalFormatOut.Encoding, options));
    }

    /// <summary>
    /// Listens with one server per loop of <paramref name="group"/> on one shared port (SO_REUSEPORT), each with
    /// a driver instance from <paramref name="driverFactory"/>, so every core serves clients and each driver
    /// instance still sees all its events on one thread.
    /// </summary>
    /// <param name="driverFactory">Makes one driver per loop.</param>
    /// <param name="host">The local address to bind, as for the single-server overload. Default 127.0.0.1.</param>
    /// <param name="port">The port; 0 picks a free one shared by all listeners.</param>
    /// <param name="externalFormatIn">Input format of accepted sockets; left out: UTF-8; <see langword="null"/>: raw bytes.</param>
    /// <param name="externalFormatOut">Output format of accepted sockets; left out: UTF-8; <see langword="null"/>: bytes only.</param>
    /// <param name="group">The loops; by default <see cref="EventLoopGroup.Default"/>.</param>
    /// <param name="options">Server settings (SO_REUSEPORT is always set), or null for the defaults.</param>
    /// <returns>The servers.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="driverFactory"/> or <paramref name="host"/> is null, or the factory returned null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not 0–65535.</exception>
    /// <exception cref="SocketException">The address is in use or cannot be bound, or the process has no descriptor left.</exception>
    public static TcpServerGroup Listen(Func<IEventDriver> driverFactory, string host = "127.0.0.1", int port = 0,
        ExternalFormat externalFormatIn = default, ExternalFormat externalFormatOut = default,
        EventLoopGroup? group = null, TcpServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(driverFactory);
        group ??= EventLoopGroup.Default;
        var shared = (options ?? s_defaultOptions).ForGroupMember(group.Loops.Count);
        var servers = new TcpServer[group.Loops.Count];
        try
        {
            for (int i = 0; i < servers.Length; i++)
            {
                var driver = driverFactory() ?? throw new ArgumentNullException(nameof(driverFactory), "The driver factory returned null.");
                servers[i] = Listen(driver, host, i == 0 ? port : servers[0].Port!.Value, externalFormatIn, externalFormatOut, group.Loops[i], shared);
            }
        }
        catch
        {
            foreach (var server in servers)
            {
                server?.Close();
            }

            throw;
        }

        return new TcpServerGroup(servers);
    }

    private static TcpServer Start(TcpServer server)
    {
        if (server._loop.IsLoopThread)
        {
            server._loop.Track(server);
        }

        server._loop.Post(static s => ((TcpServer)s!).Activate(), server);
        return server;
    }

    internal static IPAddress ParseHost(string host, string parameterName = "host")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host, parameterName);
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        if (host == "*")
        {
            return IPAddress.Any;
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        try
        {
            var addresses = Dns.GetHostAddresses(host);
            if (addresses.Length > 0)
            {
                return addresses[0];
            }
        }
        catch (SocketException)
        {
        }

        throw new ArgumentException($"'{host}' is not an IP address and names no local address.", parameterName);
    }

    private static unsafe int BindTcp(IPAddress address, int port, TcpServerOptions options, out int boundPort)
    {
        int fd = Libc.socket(SockAddr.Family(address), Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw Errno.Exception(Libc.Errno, "socket");
        }

        Libc.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
        if (options.ReusePort)
        {
            Libc.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEPORT, 1);
        }

        byte* sockaddr = stackalloc byte[SockAddr.MaxSize];
        int length = SockAddr.Write(new Span<byte>(sockaddr, SockAddr.MaxSize), address, port);
        if (Libc.bind(fd, sockaddr, length) != 0 || Libc.listen(fd, options.Backlog) != 0)
        {
            int errno = Libc.Errno;
            Libc.close(fd);
            throw Errno.Exception(errno, $"listen on {address}:{port}");
        }

        SockAddr.Local(fd, out _, out boundPort);
        return fd;
    }

    private static unsafe int BindUnix(string path, TcpServerOptions options)
    {
        RemoveStaleSocketFile(path);
        int fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw Errno.Exception(Libc.Errno, "socket");
        }

        byte* sockaddr = stackalloc byte[SockAddr.MaxSize];
        int length = SockAddr.WriteUnix(new Span<byte>(sockaddr, SockAddr.MaxSize), path);
        if (Libc.bind(fd, sockaddr, length) != 0)
        {
            int errno = Libc.Errno;
            Libc.close(fd);
            throw Errno.Exception(errno, $"listen on unix:{path}");
        }

        // The mode is set between bind and listen: nobody can connect before it is in force.
        try
        {
            if (options.UnixSocketMode is { } mode && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, mode);
            }
        }
        catch
        {
            Libc.close(fd);
            File.Delete(path);
            throw;
        }

        if (Libc.listen(fd, options.Backlog) != 0)
        {
            int errno = Libc.Errno;
            Libc.close(fd);
            File.Delete(path);
            throw Errno.Exception(errno, $"listen on unix:{path}");
        }

        return fd;
    }

    /// <summary>
    /// Removes a socket file that no server accepts on any more. A live server's file, or any file that
    /// is not a socket, is never touched.
    /// </summary>
    private static unsafe void RemoveStaleSocketFile(string path)
    {
        int type = Libc.FileType(path);
        if (type < 0)
        {
            return;
        }

        if (type != Libc.S_IFSOCK)
        {
            throw new IOException($"Cannot listen on '{path}': a file that is not a socket is there.");
        }

        int probe = Libc.socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        try
        {
            byte* sockaddr = stackalloc byte[SockAddr.MaxSize];
            int length = SockAddr.WriteUnix(new Span<byte>(sockaddr, SockAddr.MaxSize), path);
            int result = Libc.connect(probe, sockaddr, length);
            int errno = result == 0 ? 0 : Libc.Errno;
            if (errno == Libc.ECONNREFUSED)
            {
                File.Delete(path);
                return;
            }

            throw new SocketException((int)SocketError.AddressAlreadyInUse, $"Cannot listen on '{path}': a server is listening there.");
        }
        finally
        {
            Libc.close(probe);
        }
    }
}
