using System;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Conserv.Samples;

/// <summary>
/// The server certificate of a sample started with <c>--tls</c> (a self-signed one made in memory) or
/// <c>--tls-cert FILE [--tls-key FILE]</c> (PEM files), and the TLS options it listens with.
/// </summary>
public static class SampleTls
{
    /// <summary>How long the self-signed certificate is valid: long enough for a session of trying things out.</summary>
    private static readonly TimeSpan s_selfSignedLifetime = TimeSpan.FromDays(7);

    /// <summary>
    /// The server's TLS options for <paramref name="options"/>, or null when it serves plain TCP. Prints what the
    /// certificate is (subject, validity, SHA-256 fingerprint), so a user can check what a client is shown.
    /// </summary>
    /// <param name="options">The parsed command line.</param>
    /// <param name="error">Why the certificate could not be loaded (a file missing, unreadable or without a key), or null.</param>
    /// <returns>The options, or null for plain TCP or after an error.</returns>
    public static SslServerAuthenticationOptions? ServerOptions(SampleOptions options, out string? error)
    {
        error = null;
        if (!options.Tls)
        {
            return null;
        }

        X509Certificate2 certificate;
        var chain = new X509Certificate2Collection();
        if (options.TlsCertFile is { } certFile)
        {
            try
            {
                certificate = LoadPem(certFile, options.TlsKeyFile);

                // The file may hold the intermediate certificates after the server's own (a "fullchain.pem"):
                // they are sent with it, so a client that trusts only the root can still build the chain.
                chain.ImportFromPemFile(certFile);
            }
            catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                // Without --tls-key the key is looked for in the certificate's file: the usual mistake is to leave it out.
                error = e.Message + (options.TlsKeyFile is null && e is CryptographicException ? $" (is the private key in {certFile}? If not, give it with --tls-key FILE)" : "");
                return null;
            }

            Console.WriteLine($"tls: certificate from {certFile}: {certificate.Subject}, valid until {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC");
        }
        else
        {
            certificate = CreateSelfSigned();
            Console.WriteLine($"tls: self-signed certificate for localhost, 127.0.0.1 and ::1, valid until {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC (clients must skip verification, e.g. curl -k)");
        }

        Console.WriteLine($"tls: SHA-256 fingerprint {Fingerprint(certificate)}");
        var intermediates = new X509Certificate2Collection();
        for (int i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        return new SslServerAuthenticationOptions
        {
            // offline: the chain is built from the file and the local store only, never fetched at start.
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate, intermediates, offline: true),
        };
    }

    /// <summary>The SHA-256 fingerprint as <c>openssl x509 -fingerprint -sha256</c> prints it: upper-case hex pairs joined by colons.</summary>
    /// <param name="certificate">The certificate.</param>
    /// <returns>The fingerprint.</returns>
    public static string Fingerprint(X509Certificate2 certificate) =>
        BitConverter.ToString(certificate.GetCertHash(HashAlgorithmName.SHA256)).Replace('-', ':');

    /// <summary>A self-signed ECDSA P-256 server certificate for localhost, 127.0.0.1 and ::1, made in memory.</summary>
    /// <returns>The certificate, with its private key.</returns>
    public static X509Certificate2 CreateSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // serverAuth
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));

        // Valid from a minute ago: a client whose clock is slightly behind still accepts it.
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-1), now + s_selfSignedLifetime);
        return RoundTrip(certificate);
    }

    /// <summary>Loads a PEM certificate and its PEM private key (from <paramref name="keyFile"/>, or from the certificate's file when null).</summary>
    /// <param name="certFile">The certificate file; its first certificate is the server's.</param>
    /// <param name="keyFile">The key file, or null when the key is in <paramref name="certFile"/>.</param>
    /// <returns>The certificate, with its private key.</returns>
    public static X509Certificate2 LoadPem(string certFile, string? keyFile)
    {
        using var certificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        return RoundTrip(certificate);
    }

    /// <summary>
    /// Through PKCS#12 and back: a key made or read in memory is ephemeral, which some platforms' TLS stacks refuse
    /// (Windows' SChannel); the round trip gives a certificate whose key any of them can use.
    /// </summary>
    private static X509Certificate2 RoundTrip(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
}
