using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Conserv;

/// <summary>What a socket's TLS handshake settled: <see cref="TcpSocket.Tls"/>, set once the handshake has completed.</summary>
public sealed class TlsInfo
{
    internal TlsInfo(SslStream stream)
    {
        Protocol = stream.SslProtocol;
        CipherSuite = stream.NegotiatedCipherSuite;
        ApplicationProtocol = stream.NegotiatedApplicationProtocol;
        RemoteCertificate = stream.RemoteCertificate is { } certificate ? certificate as X509Certificate2 ?? new X509Certificate2(certificate) : null;
        HostName = stream.TargetHostName;
        IsServer = stream.IsServer;
    }

    /// <summary>The protocol version (TLS 1.2, TLS 1.3).</summary>
    public SslProtocols Protocol { get; }

    /// <summary>The cipher suite.</summary>
    public TlsCipherSuite CipherSuite { get; }

    /// <summary>The application protocol agreed through ALPN (such as <c>h2</c> or <c>http/1.1</c>); default when none was.</summary>
    public SslApplicationProtocol ApplicationProtocol { get; }

    /// <summary>The peer's certificate: the server's on a client socket; the client's on a server socket, if it sent one.</summary>
    public X509Certificate2? RemoteCertificate { get; }

    /// <summary>The server name: on a server socket, the one the client asked for (SNI), empty if none; on a client socket, the one it asked for.</summary>
    public string HostName { get; }

    /// <summary>True on the server's side of the connection.</summary>
    public bool IsServer { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Protocol} {CipherSuite}" + (ApplicationProtocol == default ? "" : $" ({ApplicationProtocol})");
}
