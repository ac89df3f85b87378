using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using DotNetty.Codecs;
using DotNetty.Handlers.Tls;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;

namespace Conserv.Bench.Servers;

/// <summary>Makes the echo server named on a command line.</summary>
public static class EchoServerFactory
{
    /// <summary>Every implementation name <see cref="Create"/> takes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["conserv", "conserv-group", "conserv-plain", "conserv-spin", "kestrel", "dotnetty", "socket",
        "conserv-lines", "conserv-prefix", "kestrel-lines", "kestrel-prefix", "dotnetty-lines", "dotnetty-prefix",
        "conserv-tls", "conserv-group-tls", "conserv-tls-context", "kestrel-tls", "dotnetty-tls"];

    /// <summary>Whether the implementation speaks TLS and so needs a certificate.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <returns>True for the TLS echoes (names with -tls).</returns>
    public static bool NeedsCertificate(string name) => name.Contains("-tls", StringComparison.Ordinal);

    /// <summary>Makes an echo server; <paramref name="threads"/> is the loop/thread count where the implementation has one (0: its default).</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="threads">Loops of conserv-group, I/O threads of Kestrel and DotNetty; 0 for each one's default.</param>
    /// <param name="certificate">The server certificate of the -tls echoes (<see cref="NeedsCertificate"/>); unused by the others.</param>
    /// <returns>The server, not started.</returns>
    public static IEchoServer Create(string name, int threads = 0, X509Certificate2? certificate = null) => name switch
    {
        "conserv" => new ConservEchoServer(groupLoops: null),
        "conserv-group" => new ConservEchoServer(groupLoops: threads),
        "conserv-plain" => new ConservEchoServer(groupLoops: null, static () => new PlainEchoDriver()),
        "conserv-spin" => new ConservEchoServer(groupLoops: null, options: new EventLoopOptions { SpinBeforeWait = TimeSpan.FromMicroseconds(50) }, name: "conserv-spin"),
        "kestrel" => new KestrelEchoServer(threads),
        "dotnetty" => new DotNettyEchoServer(threads),
        "socket" => new SocketEchoServer(),
        // Framed echoes (frames of at most FramedEcho.MaxLength): lines ended by '\n', and frames behind a 4-byte big-endian length.
        "conserv-lines" => new ConservEchoServer(groupLoops: null, static () => new LineEchoDriver(), name: "conserv-lines"),
        "conserv-prefix" => new ConservEchoServer(groupLoops: null, static () => new PrefixEchoDriver(), name: "conserv-prefix"),
        "kestrel-lines" => new KestrelEchoServer(threads, "kestrel-lines", static l => l.UseConnectionHandler<KestrelLineEchoConnectionHandler>()),
        "kestrel-prefix" => new KestrelEchoServer(threads, "kestrel-prefix", static l => l.UseConnectionHandler<KestrelPrefixEchoConnectionHandler>()),
        "dotnetty-lines" => new DotNettyEchoServer(threads, "dotnetty-lines", static p => p.AddLast(new LineBasedFrameDecoder(FramedEcho.MaxLength), new DotNettyLineEchoHandler())),
        "dotnetty-prefix" => new DotNettyEchoServer(threads, "dotnetty-prefix", static p => p.AddLast(
            new LengthFieldBasedFrameDecoder(FramedEcho.MaxLength + 4, lengthFieldOffset: 0, lengthFieldLength: 4, lengthAdjustment: 0, initialBytesToStrip: 4),
            new DotNettyPrefixEchoHandler())),
        // TLS echoes: the plain echo behind each stack's own TLS layer (all three run .NET's SslStream), one certificate for all.
        // Conserv: TcpServerOptions.Tls, the handshake and records on the loop thread (TlsTransport).
        "conserv-tls" => new ConservEchoServer(groupLoops: null, name: "conserv-tls", serverOptions: TlsOptions(certificate)),
        "conserv-group-tls" => new ConservEchoServer(groupLoops: threads, name: "conserv-group-tls", serverOptions: TlsOptions(certificate)),
        // The same with the certificate's context made once (as Kestrel's UseHttps does): with ServerCertificate alone,
        // .NET makes a new SslStreamCertificateContext (chain build, native TLS context) for every handshake.
        "conserv-tls-context" => new ConservEchoServer(groupLoops: null, name: "conserv-tls-context", serverOptions: new TcpServerOptions
        {
            Tls = new SslServerAuthenticationOptions { ServerCertificateContext = SslStreamCertificateContext.Create(Required(certificate), null) },
        }),
        // Kestrel: UseHttps puts its HttpsConnectionMiddleware in front of the connection handler (no HTTP).
        "kestrel-tls" => new KestrelEchoServer(threads, "kestrel-tls", l =>
        {
            l.UseHttps(Required(certificate));
            l.UseConnectionHandler<KestrelEchoConnectionHandler>();
        }),
        // DotNetty: TlsHandler first in the pipeline. Its ServerTlsSettings(certificate) default enables TLS 1.0-1.2 only,
        // so the protocols are named to let it negotiate TLS 1.3 like the other two (loadgen prints what was negotiated).
        "dotnetty-tls" => new DotNettyEchoServer(threads, "dotnetty-tls", p => p.AddLast(
            new TlsHandler(new ServerTlsSettings(Required(certificate), false, false, SslProtocols.Tls12 | SslProtocols.Tls13)),
            DotNettyEchoServer.SharedEchoHandler)),
        _ => throw new ArgumentException($"Unknown echo server '{name}'; expected one of: {string.Join(", ", Names)}.", nameof(name)),
    };

    private static X509Certificate2 Required(X509Certificate2? certificate) =>
        certificate ?? throw new ArgumentException("The TLS echoes need a certificate.", nameof(certificate));

    // What a user of TcpServerOptions.Tls writes (docs/tls.md): the certificate, everything else .NET's defaults.
    private static TcpServerOptions TlsOptions(X509Certificate2? certificate) =>
        new() { Tls = new SslServerAuthenticationOptions { ServerCertificate = Required(certificate) } };

    /// <summary>A loopback port that was free a moment ago, for implementations that cannot bind port 0 and report it.</summary>
    /// <returns>The port.</returns>
    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
