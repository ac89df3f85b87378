using System;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Conserv.Runtime.Tests;

/// <summary>Self-signed certificates made in memory for the TLS tests, and options that trust exactly them.</summary>
public static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> s_server = new(() => Create("localhost", serverAuth: true));
    private static readonly Lazy<X509Certificate2> s_client = new(() => Create("conserv test client", serverAuth: false));

    /// <summary>A server certificate for "localhost" and 127.0.0.1.</summary>
    public static X509Certificate2 Server => s_server.Value;

    /// <summary>A client certificate.</summary>
    public static X509Certificate2 Client => s_client.Value;

    public static SslServerAuthenticationOptions ServerOptions(params string[] alpn) => new()
    {
        ServerCertificate = Server,
        ApplicationProtocols = alpn.Length == 0 ? null : Array.ConvertAll(alpn, p => new SslApplicationProtocol(p)).AsReadOnlyList(),
    };

    /// <summary>Client options that trust <see cref="Server"/> (and nothing else) for "localhost".</summary>
    public static SslClientAuthenticationOptions ClientOptions(params string[] alpn) => new()
    {
        TargetHost = "localhost",
        RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == Server.GetCertHashString(),
        ApplicationProtocols = alpn.Length == 0 ? null : Array.ConvertAll(alpn, p => new SslApplicationProtocol(p)).AsReadOnlyList(),
    };

    private static System.Collections.Generic.List<SslApplicationProtocol> AsReadOnlyList(this SslApplicationProtocol[] protocols) => new(protocols);

    private static X509Certificate2 Create(string name, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2") }, critical: false));
        if (serverAuth)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        // Through PKCS#12, so the private key is usable by the TLS stack whatever the platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), password: null);
    }
}
