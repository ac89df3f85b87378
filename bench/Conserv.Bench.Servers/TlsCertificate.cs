using System;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Conserv.Bench.Servers;

/// <summary>
/// The one server certificate of the TLS echoes: an ECDSA P-256 certificate for localhost, read from a PEM pair
/// (bench/run.sh makes one with openssl so that every server of a run presents the same certificate) or, without
/// one, made self-signed at start.
/// </summary>
public static class TlsCertificate
{
    /// <summary>Loads the PEM pair, or makes a self-signed certificate when both paths are null.</summary>
    /// <param name="certPem">The certificate's PEM file, or null.</param>
    /// <param name="keyPem">The private key's PEM file, or null.</param>
    /// <returns>A certificate with its private key.</returns>
    public static X509Certificate2 Load(string? certPem, string? keyPem)
    {
        if (certPem is not null || keyPem is not null)
        {
            return X509Certificate2.CreateFromPemFile(
                certPem ?? throw new ArgumentException("--tls-key needs --tls-cert."), keyPem);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
    }
}
