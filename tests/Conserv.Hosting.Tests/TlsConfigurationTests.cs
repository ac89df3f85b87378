using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using Conserv.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Conserv.Hosting.Tests;

/// <summary>TLS for a hosted server from configuration: a certificate from PEM files, ALPN, and clear errors at start.</summary>
public sealed class TlsConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("conserv-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_certificate_from_PEM_files_in_configuration_serves_TLS_with_the_ALPN_protocol_asked_for()
    {
        var (certificatePath, keyPath, thumbprint) = WritePemPair();
        using var host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["Conserv:Servers:echo:Port"] = "0",
                ["Conserv:Servers:echo:Tls:CertificatePath"] = certificatePath,
                ["Conserv:Servers:echo:Tls:KeyPath"] = keyPath,
                ["Conserv:Servers:echo:Tls:ApplicationProtocols:0"] = "echo/1",
            },
            services => services.AddConservServer<EchoConnection>("echo"));
        await host.StartBoundedAsync();
        int port = host.Services.GetRequiredService<ConservServers>()["echo"][0].Port!.Value;

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TestHost.Timeout);
        using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [new SslApplicationProtocol("echo/1")],
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == thumbprint,
        }).WaitAsync(TestHost.Timeout);
        await ssl.WriteAsync("hello"u8.ToArray()).AsTask().WaitAsync(TestHost.Timeout);
        var echoed = new byte[5];
        await ssl.ReadExactlyAsync(echoed).AsTask().WaitAsync(TestHost.Timeout);

        Assert.Equal("hello"u8.ToArray(), echoed);
        Assert.Equal("echo/1", ssl.NegotiatedApplicationProtocol.ToString());
        await host.StopBoundedAsync();
    }

    [Fact]
    public async Task A_missing_or_unreadable_certificate_fails_the_start_with_a_message_naming_the_key()
    {
        var (certificatePath, _, _) = WritePemPair();
        string garbage = Path.Combine(_directory, "garbage.pem");
        File.WriteAllText(garbage, "not a key");
        using var host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["Conserv:Servers:missing:Port"] = "0",
                ["Conserv:Servers:missing:Tls:CertificatePath"] = Path.Combine(_directory, "nowhere.pem"),
                ["Conserv:Servers:badkey:Port"] = "0",
                ["Conserv:Servers:badkey:Tls:CertificatePath"] = certificatePath,
                ["Conserv:Servers:badkey:Tls:KeyPath"] = garbage,
                ["Conserv:Servers:nocert:Port"] = "0",
                ["Conserv:Servers:nocert:Tls:KeyPath"] = garbage,
            },
            services => services.AddConservServer<EchoConnection>("missing").Services
                .AddConservServer<EchoConnection>("badkey").Services
                .AddConservServer<EchoConnection>("nocert"));

        // Three servers fail: the host reports each one's OptionsValidationException together.
        var error = await Assert.ThrowsAsync<AggregateException>(host.StartBoundedAsync);
        Assert.All(error.InnerExceptions, e => Assert.IsType<OptionsValidationException>(e));

        Assert.Contains("Conserv:Servers:missing:Tls:CertificatePath names no file", error.Message, StringComparison.Ordinal);
        Assert.Contains("Conserv:Servers:badkey:Tls: the certificate", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not load", error.Message, StringComparison.Ordinal);
        Assert.Contains("Conserv:Servers:nocert:Tls has settings but no CertificatePath", error.Message, StringComparison.Ordinal);
    }

    private (string Certificate, string Key, string Thumbprint) WritePemPair()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string certificatePath = Path.Combine(_directory, "cert.pem"), keyPath = Path.Combine(_directory, "key.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath, certificate.GetCertHashString());
    }
}
