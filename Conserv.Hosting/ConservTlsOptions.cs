using System;
using System.IO;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Conserv.Hosting;

/// <summary>
/// TLS for a hosted server, bound from <c>Conserv:Servers:{name}:Tls</c>: the certificate from files, and the few
/// settings that fit configuration. TLS is on when <see cref="CertificatePath"/> is set. For anything else
/// (certificate selection by name, custom validation), set <see cref="Configure"/> in code.
/// </summary>
public sealed class ConservTlsOptions
{
    /// <summary>
    /// The server's certificate: a PEM file (with the key in <see cref="KeyPath"/>, or in the same file), or a PKCS#12
    /// file (<c>.pfx</c>, <c>.p12</c>) holding both. Null: no TLS.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM file of the certificate's private key; null when <see cref="CertificatePath"/> holds it.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The password of a PKCS#12 file or of an encrypted PEM key; null for none.</summary>
    public string? Password { get; set; }

    /// <summary>Ask every client for a certificate (validated as <see cref="SslStream"/> does, unless <see cref="Configure"/> sets a callback). Default false.</summary>
    public bool ClientCertificateRequired { get; set; }

    /// <summary>The ALPN protocols offered, most preferred first (<c>["h2", "http/1.1"]</c>, or your protocol's name); null or empty: no ALPN.</summary>
    public string[]? ApplicationProtocols { get; set; }

    /// <summary>How long a client's handshake may take before the connection is reset. Default 10 seconds (<see cref="TcpSocketOptions.TlsHandshakeTimeout"/>).</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs last on the <see cref="SslServerAuthenticationOptions"/> made from these settings, when the host starts:
    /// for what configuration cannot say (a <c>ServerCertificateSelectionCallback</c> for SNI, a
    /// <c>RemoteCertificateValidationCallback</c>, protocol versions). Code only; not bound from configuration.
    /// </summary>
    public Action<SslServerAuthenticationOptions>? Configure { get; set; }

    /// <summary>True when TLS is asked for.</summary>
    internal bool Enabled => !string.IsNullOrEmpty(CertificatePath);

    /// <summary>Loads the certificate the files name; throws what the loader throws (missing file, bad password, no key).</summary>
    internal X509Certificate2 LoadCertificate()
    {
        string path = CertificatePath!;
        string extension = Path.GetExtension(path);
        if (KeyPath is null && (extension.Equals(".pfx", StringComparison.OrdinalIgnoreCase) || extension.Equals(".p12", StringComparison.OrdinalIgnoreCase)))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, Password);
        }

        using var pem = Password is null
            ? X509Certificate2.CreateFromPemFile(path, KeyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(path, Password, KeyPath);

        // Through PKCS#12: a key loaded from PEM is ephemeral, which the TLS stack of some platforms cannot use.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>The runtime's TLS settings for a server, from these.</summary>
    internal SslServerAuthenticationOptions ToServerAuthenticationOptions(X509Certificate2 certificate)
    {
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            ClientCertificateRequired = ClientCertificateRequired,
        };
        if (ApplicationProtocols is { Length: > 0 } protocols)
        {
            options.ApplicationProtocols = new System.Collections.Generic.List<SslApplicationProtocol>(
                Array.ConvertAll(protocols, p => new SslApplicationProtocol(p)));
        }

        Configure?.Invoke(options);
        return options;
    }
}
