using System;

namespace Conserv.Hosting;

/// <summary>
/// Where and how one hosted server listens. Bound from the configuration section
/// <c>Conserv:Servers:{name}</c> (see <see cref="SectionPath"/>), after the code's own settings, so configuration
/// has the last word; validated when the host starts.
/// </summary>
/// <remarks>
/// <para>A server listens on TCP when <see cref="Port"/> is set, on a Unix-domain socket when <see cref="UnixPath"/>
/// is set, or on both (one listener each, the same driver). The socket settings apply to every accepted connection
/// and default to the runtime's (<see cref="TcpServerOptions"/>); docs/reliability.md gives the reasoning behind each.</para>
/// <para>Time spans are written in configuration as <c>hh:mm:ss</c> (<c>"00:05:00"</c>) or <c>d.hh:mm:ss</c>.</para>
/// </remarks>
public sealed class ConservServerOptions
{
    /// <summary>The configuration section that holds every hosted server, one subsection per name.</summary>
    public const string ServersSection = "Conserv:Servers";

    /// <summary>The TCP address to bind: an IPv4 or IPv6 address, <c>localhost</c> or <c>*</c> (every IPv4 address). Default 127.0.0.1.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The TCP port, 0–65535 (0 picks a free one; <see cref="ConservServers"/> tells which). Null: no TCP listener.</summary>
    public int? Port { get; set; }

    /// <summary>The path of a Unix-domain socket file to listen on. Null: no Unix-domain listener.</summary>
    public string? UnixPath { get; set; }

    /// <summary>
    /// The permissions of the Unix-domain socket file, in octal as <c>chmod</c> takes them (<c>"660"</c>), set before
    /// anyone can connect. Null: as the process's umask leaves them.
    /// </summary>
    public string? UnixSocketMode { get; set; }

    /// <summary>
    /// False (the default): every accepted connection gets its own driver instance, resolved from a new
    /// dependency-injection scope that is disposed after the connection's close event. True: one instance, created
    /// when the host starts, receives every event of the server and of all its connections, on one loop thread
    /// (exactly as <see cref="TcpServer.Listen(IEventDriver, string, int, ExternalFormat, ExternalFormat, EventLoop?, TcpServerOptions?)"/>
    /// with that instance), so it can keep state across connections without locks.
    /// </summary>
    public bool SharedDriver { get; set; }

    /// <summary>
    /// True: one driver instance per loop the server runs on (<see cref="Loops"/>), created when the host starts; each
    /// receives every event of its loop's listener and of the connections that listener accepted, on that loop's
    /// thread, so it can keep state across those connections without locks. With one loop it is the same as
    /// <see cref="SharedDriver"/>. False (the default): a driver per connection, unless <see cref="SharedDriver"/>.
    /// </summary>
    public bool DriverPerLoop { get; set; }

    /// <summary>
    /// How many loops of the host's <see cref="EventLoopGroup"/> serve the TCP listener. 1 (the default): one listener
    /// on one loop. N: N listeners on the one port (SO_REUSEPORT), one per loop; the kernel spreads new connections
    /// between them, and each connection stays on the loop that accepted it. 0: every loop of the group (one per
    /// processor, unless you registered your own group).
    /// </summary>
    /// <remarks>
    /// Only a driver per connection or per loop (<see cref="DriverPerLoop"/>) can be spread: a shared driver
    /// (<see cref="SharedDriver"/>), or a driver type registered as a singleton, is one instance, and every event reaching
    /// one instance must run on one thread, so the host refuses to start with <c>Loops</c> other than 1 for them. A Unix-domain listener is one socket and
    /// stays on one loop, so <c>Loops</c> needs <see cref="Port"/>. With N listeners, <see cref="MaxConnections"/>
    /// is divided between them (rounded up) and <see cref="MaxConnectionsPerAddress"/> holds for each, so one
    /// address may hold up to N times it.
    /// </remarks>
    public int Loops { get; set; } = 1;

    /// <summary>
    /// How accepted sockets decode text for a text data handler and encode written text: an encoding name such as
    /// <c>utf-8</c> (the default), <c>us-ascii</c> or <c>iso-8859-1</c>, or <c>none</c> for raw bytes only.
    /// </summary>
    public string TextEncoding { get; set; } = "utf-8";

    /// <summary>The listen backlog. Default 1024 (<see cref="TcpServerOptions.Backlog"/>).</summary>
    public int Backlog { get; set; } = 1024;

    /// <summary>The most clients at once. Null (the default): the open-file limit less a reserve (<see cref="TcpServerOptions.MaxConnections"/>).</summary>
    public int? MaxConnections { get; set; }

    /// <summary>The most clients one remote IP address may hold at once. Null (the default): no limit (<see cref="TcpServerOptions.MaxConnectionsPerAddress"/>).</summary>
    public int? MaxConnectionsPerAddress { get; set; }

    /// <summary>
    /// How long a connection may stay silent before it gets an <see cref="IdleTimeoutException"/>. Default 5 minutes;
    /// zero or null turns it off (<see cref="TcpSocketOptions.IdleTimeout"/>).
    /// </summary>
    public TimeSpan? IdleTimeout { get; set; } = TcpServerOptions.DefaultIdleTimeout;

    /// <summary>Queued output above which a connection stops being read. Default 64 KiB (<see cref="TcpSocketOptions.OutputHighWaterMark"/>).</summary>
    public int OutputHighWaterMark { get; set; } = TcpSocketOptions.DefaultOutputHighWaterMark;

    /// <summary>Queued output at which a connection stopped by the high water mark is read again. Default 32 KiB (<see cref="TcpSocketOptions.OutputLowWaterMark"/>).</summary>
    public int OutputLowWaterMark { get; set; } = TcpSocketOptions.DefaultOutputLowWaterMark;

    /// <summary>The most output a connection may hold queued. Default 32 MiB; zero or null lifts the limit (<see cref="TcpSocketOptions.OutputLimit"/>).</summary>
    public long? OutputLimit { get; set; } = TcpSocketOptions.DefaultOutputLimit;

    /// <summary>Disable Nagle's algorithm. Default true (<see cref="TcpSocketOptions.NoDelay"/>).</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>Enable TCP keep-alive probes. Default false (<see cref="TcpSocketOptions.KeepAlive"/>).</summary>
    public bool KeepAlive { get; set; }

    /// <summary>Keep the sending side open after the peer's end of file. Default false (<see cref="TcpSocketOptions.AllowHalfOpen"/>).</summary>
    public bool AllowHalfOpen { get; set; }

    /// <summary>
    /// TLS for every connection of the server (<c>Conserv:Servers:{name}:Tls</c>): on when its <c>CertificatePath</c> is
    /// set. The certificate is loaded when the host starts; a missing or unreadable file stops the start with a message
    /// naming the key.
    /// </summary>
    public ConservTlsOptions Tls { get; set; } = new();

    /// <summary>
    /// When the host stops: how long connections may take to finish (running handlers complete, queued output is
    /// sent) before the rest are aborted. Default 5 seconds, as <see cref="EventLoopOptions.ShutdownTimeout"/>. The host's
    /// own shutdown timeout (<c>HostOptions.ShutdownTimeout</c>) cuts it short when it ends first.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The configuration path of the server called <paramref name="name"/>: <c>Conserv:Servers:{name}</c>.</summary>
    /// <param name="name">The server's name.</param>
    /// <returns>The path.</returns>
    public static string SectionPath(string name) => $"{ServersSection}:{name}";
}
