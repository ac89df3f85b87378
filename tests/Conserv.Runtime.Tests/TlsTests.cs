using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>TLS on the loop, against .NET's own <see cref="SslStream"/> on the other end of real loopback connections.</summary>
public class TlsTests
{
    private static readonly TimeSpan Bound = EventLog.DefaultTimeout;

    [Fact]
    public async Task A_TLS_server_echoes_to_an_SslStream_client_and_its_connect_event_comes_after_the_handshake()
    {
        await using var loop = new TestLoop();
        TlsInfo? seenAtConnect = null;
        var driver = new RecordingDriver
        {
            OnConnect = s =>
            {
                seenAtConnect = s.Tls;
                return default;
            },
            OnData = (s, d) =>
            {
                s.Write(d.Span);
                return default;
            },
        };
        var options = new TcpServerOptions { Tls = TestCertificates.ServerOptions("conserv-test") };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);

        using var client = await SslClientAsync(server.Port!.Value, TestCertificates.ClientOptions("conserv-test"));
        var sent = Peer.Pattern(300_000, seed: 11); // many records, and more than one send's worth
        var echoed = new byte[sent.Length];
        var reading = client.ReadExactlyAsync(echoed).AsTask();
        await client.WriteAsync(sent).AsTask().WaitAsync(Bound);
        await reading.WaitAsync(Bound);

        Assert.Equal(sent, echoed);
        Assert.NotNull(seenAtConnect);
        Assert.Equal("conserv-test", seenAtConnect!.ApplicationProtocol.ToString());
        Assert.Equal(client.SslProtocol, seenAtConnect.Protocol);
        Assert.True(seenAtConnect.IsServer);
        Assert.Equal("localhost", seenAtConnect.HostName);
        var kinds = driver.Log.Events.Select(e => e.Kind).Where(k => k != "outputEmpty").ToArray().Collapse();
        Assert.Equal(new[] { "listen", "connection", "connect", "data" }, kinds);
    }

    [Fact]
    public async Task A_TLS_client_talks_to_an_SslStream_server_and_its_connect_event_comes_after_the_handshake()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync();
            using var ssl = new SslStream(accepted.GetStream());
            await ssl.AuthenticateAsServerAsync(TestCertificates.ServerOptions());
            var request = new byte[5];
            await ssl.ReadExactlyAsync(request);
            await ssl.WriteAsync(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(request).ToUpperInvariant()));
            return ssl.NegotiatedCipherSuite;
        });

        await using var loop = new TestLoop();
        TlsInfo? seenAtConnect = null;
        var driver = new RecordingDriver
        {
            OnConnect = s =>
            {
                seenAtConnect = s.Tls;
                s.Write("hello"u8);
                return default;
            },
        };
        var socket = await loop.OnLoop(() => TcpSocket.Connect(driver, "127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port,
            loop: loop.Loop, tls: TestCertificates.ClientOptions()));

        await driver.Log.WaitForBytesAsync(5);
        Assert.Equal("HELLO"u8.ToArray(), driver.Log.BytesOf(socket));
        var cipher = await serving.WaitAsync(Bound);
        Assert.NotNull(seenAtConnect);
        Assert.Equal(cipher, seenAtConnect!.CipherSuite);
        Assert.Equal(TestCertificates.Server.Thumbprint, seenAtConnect.RemoteCertificate!.Thumbprint);
        Assert.False(seenAtConnect.IsServer);
        Assert.Equal(new[] { "connect", "data" }, driver.Log.KindsOf(socket).Where(k => k != "outputEmpty").ToArray().Collapse().Take(2));
    }

    [Fact]
    public async Task Close_sends_close_notify_after_the_queued_data_so_the_peer_reads_a_clean_end()
    {
        await using var loop = new TestLoop();
        var reply = Peer.Pattern(200_000, seed: 4);
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write(reply);
                s.Close();
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: new TcpServerOptions { Tls = TestCertificates.ServerOptions() });
        using var client = await SslClientAsync(server.Port!.Value, TestCertificates.ClientOptions());
        await client.WriteAsync("go"u8.ToArray()).AsTask().WaitAsync(Bound);

        var received = new MemoryStream();
        await client.CopyToAsync(received).WaitAsync(Bound); // ends at close_notify: no IOException for a truncated stream
        Assert.Equal(reply, received.ToArray());
        await driver.Log.WaitForAsync("close");
        Assert.Null(driver.Log.First("close").Error);
    }

    [Fact]
    public async Task A_required_client_certificate_is_checked_and_a_client_without_one_is_refused_through_error_dispatch()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        var tls = TestCertificates.ServerOptions();
        tls.ClientCertificateRequired = true;
        tls.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == TestCertificates.Client.GetCertHashString();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: new TcpServerOptions { Tls = tls });

        // Without a certificate: the server's handshake fails, the driver's error handlers get it, the socket closes.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var refused = await SslClientAsync(server.Port!.Value, TestCertificates.ClientOptions());
            await refused.WriteAsync("x"u8.ToArray());
            await refused.ReadExactlyAsync(new byte[1]).AsTask().WaitAsync(Bound);
        });
        await driver.Log.WaitForAsync("close");
        Assert.IsType<AuthenticationException>(driver.Log.First("error").Error);

        // With it: served, and the certificate is there for the driver to see.
        var withCertificate = TestCertificates.ClientOptions();
        withCertificate.ClientCertificates = new X509CertificateCollection { TestCertificates.Client };
        using var accepted = await SslClientAsync(server.Port!.Value, withCertificate);
        await accepted.WriteAsync("ok"u8.ToArray()).AsTask().WaitAsync(Bound);
        var echoed = new byte[2];
        await accepted.ReadExactlyAsync(echoed).AsTask().WaitAsync(Bound);
        Assert.Equal("ok"u8.ToArray(), echoed);
        var secured = driver.Log.Events.Last(e => e.Kind == "data").Socket!;
        Assert.Equal(TestCertificates.Client.Thumbprint, (await loop.OnLoop(() => secured.Tls))!.RemoteCertificate!.Thumbprint);
    }

    [Fact]
    public async Task A_plaintext_client_on_a_TLS_port_gets_an_error_dispatched_and_other_connections_go_on()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: new TcpServerOptions { Tls = TestCertificates.ServerOptions() });

        using var plain = await Peer.ConnectAsync(server.Port!.Value);
        await plain.SendAllAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var (answer, _) = await plain.ReadToEndAsync();
        await driver.Log.WaitForAsync("close");
        Assert.IsType<AuthenticationException>(driver.Log.First("error").Error);
        Assert.DoesNotContain((byte)'G', answer); // nothing was echoed in the clear

        using var client = await SslClientAsync(server.Port!.Value, TestCertificates.ClientOptions());
        await client.WriteAsync("fine"u8.ToArray()).AsTask().WaitAsync(Bound);
        var echoed = new byte[4];
        await client.ReadExactlyAsync(echoed).AsTask().WaitAsync(Bound);
        Assert.Equal("fine"u8.ToArray(), echoed);
    }

    [Fact]
    public async Task A_TLS_client_on_a_plaintext_port_gets_an_error_dispatched_and_closes()
    {
        await using var loop = new TestLoop();
        await using var plainServer = TcpServer.Listen(RecordingDriver.Echo(), port: 0, loop: loop.Loop); // echoes the ClientHello back
        var driver = new RecordingDriver();
        var socket = await loop.OnLoop(() => TcpSocket.Connect(driver, "127.0.0.1", plainServer.Port!.Value, loop: loop.Loop, tls: TestCertificates.ClientOptions()));

        await driver.Log.WaitForAsync("close");
        Assert.Equal(0, driver.Log.Count("connect"));
        Assert.IsType<AuthenticationException>(driver.Log.First("error").Error);
        Assert.Equal(new[] { "error", "close" }, driver.Log.KindsOf(socket));
    }

    [Fact]
    public async Task Garbage_after_the_handshake_is_a_fault_of_that_connection_only()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: new TcpServerOptions { Tls = TestCertificates.ServerOptions() });

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port!.Value);
        using (var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: true))
        {
            await ssl.AuthenticateAsClientAsync(TestCertificates.ClientOptions()).WaitAsync(Bound);
            await driver.Log.WaitForAsync("connect");

            // A record header that claims application data, then bytes that are not a valid record.
            var garbage = new byte[] { 23, 3, 3, 0, 40 }.Concat(Peer.Pattern(40, seed: 9)).ToArray();
            await tcp.GetStream().WriteAsync(garbage).AsTask().WaitAsync(Bound);
        }

        await driver.Log.WaitForAsync("close");
        Assert.IsType<IOException>(driver.Log.First("close").Error);
        Assert.Equal(0, driver.Log.Count("data"));

        using var client = await SslClientAsync(server.Port!.Value, TestCertificates.ClientOptions());
        await client.WriteAsync("ok"u8.ToArray()).AsTask().WaitAsync(Bound);
        var echoed = new byte[2];
        await client.ReadExactlyAsync(echoed).AsTask().WaitAsync(Bound);
        Assert.Equal("ok"u8.ToArray(), echoed);
    }

    [Fact]
    public async Task A_handshake_that_never_finishes_ends_with_a_HandshakeTimeoutException_and_a_reset()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        var options = new TcpServerOptions { Tls = TestCertificates.ServerOptions(), TlsHandshakeTimeout = TimeSpan.FromMilliseconds(300) };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);

        using var silent = await Peer.ConnectAsync(server.Port!.Value);
        await silent.SendAllAsync(new byte[] { 22, 3, 1 }); // the start of a ClientHello, and then nothing

        await driver.Log.WaitForAsync("close");
        var timeout = Assert.IsType<HandshakeTimeoutException>(driver.Log.First("error").Error);
        Assert.Equal(TimeSpan.FromMilliseconds(300), timeout.Timeout);
        var (_, reset) = await silent.ReadToEndAsync();
        Assert.True(reset);
    }

    [Fact]
    public async Task StartTls_upgrades_a_line_protocol_in_place_and_drops_plaintext_sent_ahead_of_the_handshake()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData | SocketDriverFeatures.OutputEmpty,
            OnText = (s, line) =>
            {
                if (line.Span.SequenceEqual("STARTTLS"))
                {
                    s.Write("220 go ahead\r\n");
                    s.StartTls(TestCertificates.ServerOptions());
                }
                else
                {
                    s.Write($"echo {line}\r\n");
                }

                return default;
            },
        };
        var unhandled = new ConcurrentQueue<Exception>();
        loop.Loop.UnhandledException += (_, e) => unhandled.Enqueue(e.Exception);
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port!.Value);
        var stream = tcp.GetStream();
        await stream.WriteAsync("plain\r\nSTARTTLS\r\nINJECTED\r\n"u8.ToArray()); // INJECTED must not reach the secure session
        var reader = new StreamReader(stream, Encoding.ASCII);
        Assert.Equal("echo plain", await reader.ReadLineAsync().WaitAsync(Bound));
        Assert.Equal("220 go ahead", await reader.ReadLineAsync().WaitAsync(Bound));

        using var ssl = new SslStream(stream);
        await ssl.AuthenticateAsClientAsync(TestCertificates.ClientOptions()).WaitAsync(Bound);
        await ssl.WriteAsync("secret\r\n"u8.ToArray()).AsTask().WaitAsync(Bound);
        var secureReader = new StreamReader(ssl, Encoding.ASCII);
        Assert.Equal("echo secret", await secureReader.ReadLineAsync().WaitAsync(Bound));
        Assert.DoesNotContain(driver.Log.Events, e => e.Text == "INJECTED");
        Assert.Equal(1, driver.Log.Count("connect")); // the connect event ran once: after the upgrade's handshake
        await loop.Loop.Barrier();
        Assert.Empty(unhandled); // StartTls on the loop ran once, there and then
    }

    [Fact]
    public async Task A_client_driver_upgrades_with_StartTls_and_its_connect_event_runs_again_after_the_handshake()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync();
            var stream = accepted.GetStream();
            var request = new byte[10];
            await stream.ReadExactlyAsync(request);
            Assert.Equal("STARTTLS\r\n", Encoding.ASCII.GetString(request));
            await stream.WriteAsync("220 go\r\n"u8.ToArray());
            using var ssl = new SslStream(stream);
            await ssl.AuthenticateAsServerAsync(TestCertificates.ServerOptions());
            var secret = new byte[6];
            await ssl.ReadExactlyAsync(secret);
            return Encoding.ASCII.GetString(secret);
        });

        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnConnect = s =>
            {
                s.Write(s.Tls is null ? "STARTTLS\r\n" : "secret");
                return default;
            },
            OnText = (s, line) =>
            {
                if (line.Span.SequenceEqual("220 go"))
                {
                    s.StartTls(TestCertificates.ClientOptions());
                }

                return default;
            },
        };
        var socket = await loop.OnLoop(() => TcpSocket.Connect(driver, "127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, loop: loop.Loop));

        Assert.Equal("secret", await serving.WaitAsync(Bound));
        Assert.Equal(2, driver.Log.Count("connect"));
        Assert.NotNull(await loop.OnLoop(() => socket.Tls));
    }

    [Fact]
    public async Task A_reset_of_a_paused_TLS_connection_is_reported_while_it_is_still_paused()
    {
        // Paused, the socket asks the kernel for nothing, but it stays where epoll reports a reset: the error comes
        // at once, not when (if ever) the socket resumes.
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Pause();
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: new TcpServerOptions { Tls = TestCertificates.ServerOptions() });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port!.Value).WaitAsync(Bound);
        using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: true);
        await ssl.AuthenticateAsClientAsync(TestCertificates.ClientOptions()).WaitAsync(Bound);
        await ssl.WriteAsync("hello"u8.ToArray()).AsTask().WaitAsync(Bound);
        var socket = await driver.Log.SocketOfFirstAsync("data");
        await Poll.UntilAsync(loop.Loop, () => socket.IsPaused, "the pause");

        tcp.Client.LingerState = new LingerOption(true, 0);
        tcp.Client.Close();

        await driver.Log.WaitForAsync("close");
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [Fact]
    public async Task A_record_cut_short_by_the_end_of_the_stream_is_an_IOException_not_data()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: new TcpServerOptions { Tls = TestCertificates.ServerOptions() });

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port!.Value);
        using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: true);
        await ssl.AuthenticateAsClientAsync(TestCertificates.ClientOptions()).WaitAsync(Bound);
        await driver.Log.WaitForAsync("connect");

        // The header of an application-data record of 100 bytes, 10 of them, then the end of the stream.
        await tcp.GetStream().WriteAsync(new byte[] { 23, 3, 3, 0, 100 }.Concat(new byte[10]).ToArray()).AsTask().WaitAsync(Bound);
        tcp.Client.Shutdown(SocketShutdown.Send);

        await driver.Log.WaitForAsync("close");
        Assert.IsType<IOException>(driver.Log.First("error").Error);
        Assert.Equal(0, driver.Log.Count("data"));
    }

    [Fact]
    public async Task A_greeting_written_in_the_connection_event_waits_for_the_handshake_and_goes_out_encrypted()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            OnConnection = (_, client) =>
            {
                client.Write("welcome\n"u8);
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: new TcpServerOptions { Tls = TestCertificates.ServerOptions() });

        // A raw peer that never shakes hands reads nothing, and certainly not the greeting in the clear.
        using (var raw = await Peer.ConnectAsync(server.Port!.Value))
        {
            await driver.Log.WaitForAsync("connection");
            raw.Shutdown(SocketShutdown.Send);
            var (bytes, _) = await raw.ReadToEndAsync();
            Assert.DoesNotContain("welcome", Encoding.ASCII.GetString(bytes), StringComparison.Ordinal);
        }

        using var ssl = await SslClientAsync(server.Port!.Value, TestCertificates.ClientOptions());
        var greeting = new byte[8];
        await ssl.ReadExactlyAsync(greeting).AsTask().WaitAsync(Bound);
        Assert.Equal("welcome\n"u8.ToArray(), greeting);
    }

    [Fact]
    public void A_server_certificate_gets_its_context_made_once_and_the_callers_options_are_left_alone()
    {
        var given = TestCertificates.ServerOptions("p1");
        given.ClientCertificateRequired = true;
        var prepared = TlsServerSettings.Prepare(given);

        Assert.NotSame(given, prepared);
        Assert.Null(given.ServerCertificateContext);
        Assert.Equal(TestCertificates.Server.Thumbprint, prepared.ServerCertificateContext!.TargetCertificate.Thumbprint);
        Assert.Null(prepared.ServerCertificate);
        Assert.True(prepared.ClientCertificateRequired);
        Assert.Equal(given.ApplicationProtocols, prepared.ApplicationProtocols);

        var selected = new SslServerAuthenticationOptions { ServerCertificateSelectionCallback = (_, _) => TestCertificates.Server };
        Assert.Same(selected, TlsServerSettings.Prepare(selected)); // a selection callback decides per connection
    }

    [Fact]
    public async Task A_server_certificate_whose_issuer_is_missing_is_prepared_offline_without_fetching_the_issuer()
    {
        // A leaf whose issuer is not given, with an Authority Information Access address where the chain builder
        // would download it from: a listener on loopback that counts who comes.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int fetches = 0;
        var serving = Task.Run(async () =>
        {
            while (true)
            {
                using var client = await listener.AcceptSocketAsync();
                Interlocked.Increment(ref fetches); // closed at once: a download that fails fast
            }
        });
        using var rootKey = RSA.Create(2048);
        var rootRequest = new CertificateRequest("CN=Conserv test root", rootKey,
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var leafKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest("CN=localhost", leafKey,
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        leafRequest.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(
            ocspUris: null, caIssuersUris: new[] { $"http://127.0.0.1:{port}/root.cer" }));
        using var signed = leafRequest.Create(root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), new byte[] { 1, 2, 3, 4 });
        using var leaf = signed.CopyWithPrivateKey(leafKey);

        var prepared = TlsServerSettings.Prepare(new SslServerAuthenticationOptions { ServerCertificate = leaf });

        Assert.Equal(leaf.Thumbprint, prepared.ServerCertificateContext!.TargetCertificate.Thumbprint);
        listener.Stop(); // a download the chain builder started would have connected by now: Prepare builds synchronously
        await Assert.ThrowsAnyAsync<Exception>(() => serving.WaitAsync(Bound));
        Assert.Equal(0, Volatile.Read(ref fetches));
    }

    [Fact]
    public async Task TLS_options_without_a_certificate_are_refused_at_Listen_with_the_parameter_named()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            TcpServer.Listen(RecordingDriver.Echo(), port: 0, options: new TcpServerOptions { Tls = new SslServerAuthenticationOptions() }));
        Assert.Equal("options", error.ParamName);
        Assert.Contains("ServerCertificate", error.Message);
    }

    [Fact]
    public async Task StartTls_is_refused_with_its_reason_on_a_socket_that_already_has_TLS_is_closing_or_is_closed()
    {
        await using var loop = new TestLoop();
        var refusals = new ConcurrentQueue<(string Expected, string Actual)>();
        var driver = new RecordingDriver
        {
            OnConnect = s =>
            {
                var already = Assert.Throws<InvalidOperationException>(() => s.StartTls(TestCertificates.ServerOptions()));
                refusals.Enqueue(($"{s} already has TLS.", already.Message));
                s.Close();
                var closing = Assert.Throws<InvalidOperationException>(() => s.StartTls(TestCertificates.ClientOptions()));
                refusals.Enqueue(($"StartTls needs an open connection; {s} is closing.", closing.Message));
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: new TcpServerOptions { Tls = TestCertificates.ServerOptions() });
        using var client = await SslClientAsync(server.Port!.Value, TestCertificates.ClientOptions());

        await driver.Log.WaitForAsync("close");
        Assert.Equal(2, refusals.Count);
        foreach (var (e, a) in refusals)
        {
            Assert.Equal(e, a);
        }
    }

    [Fact]
    public async Task StartTls_on_a_client_socket_still_resolving_its_host_is_refused_with_that_state()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver();
        var (expected, actual) = await loop.OnLoop(() =>
        {
            var socket = TcpSocket.Connect(driver, "localhost", 9, loop: loop.Loop); // the name resolves off the loop: not before this call returns
            var refused = Assert.Throws<InvalidOperationException>(() => socket.StartTls(TestCertificates.ClientOptions()));
            var expected = $"StartTls needs an open connection; {socket} is resolving.";
            socket.Close();
            return (expected, refused.Message);
        });
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task StartTls_checks_its_options_on_the_calling_thread_before_anything_is_posted_to_the_loop()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");

        var noCertificate = Assert.Throws<ArgumentException>(() => socket.StartTls(new SslServerAuthenticationOptions()));
        Assert.Equal("options", noCertificate.ParamName);
        Assert.StartsWith("TLS server options need a ServerCertificate, a ServerCertificateContext or a ServerCertificateSelectionCallback.", noCertificate.Message);
        var noOptions = Assert.Throws<ArgumentNullException>(() => socket.StartTls((SslClientAuthenticationOptions)null!));
        Assert.Equal("options", noOptions.ParamName);
        Assert.Null(await loop.OnLoop(() => socket.Tls));
        Assert.False(await loop.OnLoop(() => socket.IsHandshaking));
    }

    [Fact]
    public async Task A_TLS_client_left_without_a_target_host_asks_for_the_host_name_it_connected_to()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync();
            using var ssl = new SslStream(accepted.GetStream());
            await ssl.AuthenticateAsServerAsync(TestCertificates.ServerOptions("conserv-test"));
            var request = new byte[2];
            await ssl.ReadExactlyAsync(request);
            return ssl.TargetHostName; // the server name the client sent (SNI)
        });

        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            OnConnect = s =>
            {
                s.Write("hi"u8);
                return default;
            },
        };
        var options = TestCertificates.ClientOptions("conserv-test");
        options.TargetHost = null;
        var socket = await loop.OnLoop(() => TcpSocket.Connect(driver, "localhost", ((IPEndPoint)listener.LocalEndpoint).Port, loop: loop.Loop, tls: options));

        Assert.Equal("localhost", await serving.WaitAsync(Bound));
        var info = (await loop.OnLoop(() => socket.Tls))!;
        Assert.Equal("localhost", info.HostName);
        Assert.Null(options.TargetHost); // the caller's options are not changed: a copy carries the name
        Assert.Equal($"{info.Protocol} {info.CipherSuite} (conserv-test)", info.ToString());
    }

    [Fact]
    public async Task An_accepted_socket_that_upgrades_as_the_TLS_client_without_a_target_host_asks_for_the_peers_address()
    {
        await using var loop = new TestLoop();
        var clientOptions = TestCertificates.ClientOptions();
        clientOptions.TargetHost = null;
        var driver = new RecordingDriver
        {
            OnConnection = (_, s) =>
            {
                s.StartTls(clientOptions);
                return default;
            },
            OnConnect = s =>
            {
                s.Write("ok"u8);
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port!.Value).WaitAsync(Bound);
        using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsServerAsync(TestCertificates.ServerOptions()).WaitAsync(Bound);
        var reply = new byte[2];
        await ssl.ReadExactlyAsync(reply).AsTask().WaitAsync(Bound);

        Assert.Equal("ok"u8.ToArray(), reply);
        var socket = driver.Log.First("connect").Socket!;
        var info = (await loop.OnLoop(() => socket.Tls))!;
        Assert.Equal("127.0.0.1", info.HostName);
        Assert.False(info.IsServer);
        Assert.Equal(TestCertificates.Server.Thumbprint, info.RemoteCertificate!.Thumbprint);
        Assert.Equal($"{info.Protocol} {info.CipherSuite}", info.ToString()); // no ALPN: no protocol in parentheses
    }

    [Fact]
    public void Options_that_already_have_a_certificate_context_are_used_as_given_and_a_copy_keeps_the_RSA_padding_choices()
    {
        var withContext = TestCertificates.ServerOptions();
        withContext.ServerCertificateContext = SslStreamCertificateContext.Create(TestCertificates.Server, additionalCertificates: null, offline: true);
        Assert.Same(withContext, TlsServerSettings.Prepare(withContext));

        if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows()) // the only platforms with these two options
        {
            var given = TestCertificates.ServerOptions();
            given.AllowRsaPssPadding = !given.AllowRsaPssPadding;
            given.AllowRsaPkcs1Padding = !given.AllowRsaPkcs1Padding;
            var prepared = TlsServerSettings.Prepare(given);
            Assert.NotSame(given, prepared);
            Assert.Equal(given.AllowRsaPssPadding, prepared.AllowRsaPssPadding);
            Assert.Equal(given.AllowRsaPkcs1Padding, prepared.AllowRsaPkcs1Padding);
        }
    }

    [Fact]
    public void The_cipher_stream_refuses_a_blocking_read_with_its_reason()
    {
        using var stream = new TlsCipherStream(null!);
        var error = Assert.Throws<NotSupportedException>(() => stream.Read(new byte[1], 0, 1));
        Assert.Equal("Reads are asynchronous only: the loop thread never blocks.", error.Message);
    }

    [Fact]
    public async Task A_TLS_server_whose_reads_are_smaller_than_a_record_echoes_every_byte_in_order()
    {
        await using var loop = new TestLoop(new EventLoopOptions { ReadBufferSize = 1000 }); // a record's 16 KiB takes many reads
        var driver = new RecordingDriver
        {
            OnData = (s, d) =>
            {
                s.Write(d.Span);
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: new TcpServerOptions { Tls = TestCertificates.ServerOptions() });

        using var client = await SslClientAsync(server.Port!.Value, TestCertificates.ClientOptions());
        var sent = Peer.Pattern(100_000, seed: 23);
        var echoed = new byte[sent.Length];
        var reading = client.ReadExactlyAsync(echoed).AsTask();
        await client.WriteAsync(sent).AsTask().WaitAsync(Bound);
        await reading.WaitAsync(Bound);

        Assert.Equal(sent, echoed);
        Assert.All(driver.Log.Events.Where(e => e.Kind == "data"), e => Assert.InRange(e.Bytes!.Length, 1, 1000));
    }

    [Fact]
    public async Task StartTls_refuses_null_server_options_on_the_calling_thread_with_the_parameter_named()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");

        var error = Assert.Throws<ArgumentNullException>(() => socket.StartTls((SslServerAuthenticationOptions)null!));
        Assert.Equal("options", error.ParamName);
    }

    [Fact]
    public async Task A_handshake_timeout_drops_the_connection_even_when_the_driver_handles_the_error()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { OnError = (_, _) => new ValueTask<bool>(true) };
        var options = new TcpServerOptions { Tls = TestCertificates.ServerOptions(), TlsHandshakeTimeout = TimeSpan.FromMilliseconds(200) };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);

        using var silent = await Peer.ConnectAsync(server.Port!.Value);
        await silent.SendAllAsync(new byte[] { 22, 3, 1 }); // the start of a ClientHello, and then nothing

        await driver.Log.WaitForAsync("close");
        Assert.IsType<HandshakeTimeoutException>(driver.Log.First("error").Error);
        Assert.IsType<HandshakeTimeoutException>(driver.Log.First("close").Error);
    }

    private static async Task<SslStream> SslClientAsync(int port, SslClientAuthenticationOptions options)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Bound);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(options).WaitAsync(Bound);
        return ssl;
    }
}
