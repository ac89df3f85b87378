using System;
using System.IO;

namespace Conserv;

/// <summary>Settings of a server; the socket settings it inherits apply to every accepted socket.</summary>
/// <remarks>
/// The defaults keep one peer from starving the process: accepted sockets time out after
/// <see cref="TcpSocketOptions.IdleTimeout"/> (5 minutes) of silence, and <see cref="MaxConnections"/> leaves
/// descriptors for the runtime itself. docs/reliability.md gives the reasoning behind each default.
/// </remarks>
public sealed class TcpServerOptions : TcpSocketOptions
{
    /// <summary>The default <see cref="TcpSocketOptions.IdleTimeout"/> of accepted sockets: 5 minutes.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(5);

    private int _backlog = 1024;
    private int _maxConnections = DescriptorLimit.DefaultMaxConnections;
    private int? _maxConnectionsPerAddress;

    /// <summary>Creates server settings with the defaults.</summary>
    public TcpServerOptions()
    {
        IdleTimeout = DefaultIdleTimeout;
    }

    /// <summary>The listen backlog: connections the kernel queues while the server is busy or paused. Default 1024.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int Backlog
    {
        get => _backlog;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Backlog));
            _backlog = value;
        }
    }

    /// <summary>
    /// Set SO_REUSEPORT, so several listeners (one per loop of an <see cref="EventLoopGroup"/>) share one port and
    /// the kernel spreads connections between them. Default false for a single server; always on for a server group.
    /// </summary>
    public bool ReusePort { get; set; }

    /// <summary>
    /// The most clients the server holds at once. A connection beyond it is accepted and closed at once (the peer
    /// sees its connection end before any data) and counted in <see cref="TcpServer.RejectedConnections"/>.
    /// Default: the process's open-file limit less a reserve for the runtime itself (see
    /// <see cref="DescriptorLimit.DefaultMaxConnections"/>). A server group divides it between its listeners.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxConnections
    {
        get => _maxConnections;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxConnections));
            _maxConnections = value;
        }
    }

    /// <summary>
    /// The most clients one remote IP address may hold at once; beyond it, as beyond <see cref="MaxConnections"/>.
    /// Default null: no per-address limit. Unix-domain clients have no address and are not counted.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int? MaxConnectionsPerAddress
    {
        get => _maxConnectionsPerAddress;
        set
        {
            if (value is { } max)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(MaxConnectionsPerAddress));
            }

            _maxConnectionsPerAddress = value;
        }
    }

    /// <summary>
    /// The permissions of a Unix-domain server's socket file (who may connect), set before the server accepts
    /// anything. Default null: as the process's umask leaves them.
    /// </summary>
    public UnixFileMode? UnixSocketMode { get; set; }

    /// <summary>
    /// TLS for every accepted connection: the server's certificate (or a selection callback for SNI), whether client
    /// certificates are asked for and how they are validated, ALPN protocols, protocol versions. Null (the default):
    /// plain TCP. Each connection's handshake starts at the accept, just before the server's connection event (what that
    /// event writes waits and is sent encrypted), and runs on the loop thread; the socket's connect event runs once it
    /// has completed (<see cref="TcpSocket.Tls"/> then says what was negotiated), and
    /// <see cref="TcpSocketOptions.TlsHandshakeTimeout"/> bounds it. Given a <c>ServerCertificate</c> alone, the server
    /// makes its certificate context once when it starts listening, not once per handshake.
    /// </summary>
    public System.Net.Security.SslServerAuthenticationOptions? Tls
    {
        get => (System.Net.Security.SslServerAuthenticationOptions?)_tls;
        set => _tls = value;
    }

    // Kept as object: what runs for every server (validation, the listener) tests it without touching a TLS type, so a
    // plain server does not load System.Net.Security and the cryptography assemblies — descriptors and memory it would
    // spend for nothing (see TlsOnly).
    private object? _tls;

    /// <summary>True when <see cref="Tls"/> is set.</summary>
    internal bool UsesTls => _tls is not null;

    internal override void Validate(string parameterName)
    {
        base.Validate(parameterName);
        if (UsesTls)
        {
            CheckTls(parameterName);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)] // TLS types only here
    private void CheckTls(string parameterName) => TcpSocket.CheckServerTlsOptions(Tls!, parameterName);

    /// <summary>A copy for one listener of a server group: SO_REUSEPORT on, and its share of the connection limit.</summary>
    internal TcpServerOptions ForGroupMember(int members)
    {
        var copy = (TcpServerOptions)MemberwiseClone();
        copy.ReusePort = true;
        copy._maxConnections = Math.Max(1, (int)Math.Ceiling(_maxConnections / (double)members));
        return copy;
    }
}
