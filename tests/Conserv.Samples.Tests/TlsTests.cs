using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Conserv.Samples.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Samples.Tests;

/// <summary>
/// The samples' <c>--tls</c>, <c>--tls-cert</c>/<c>--tls-key</c> (servers) and <c>--tls --insecure</c> (the Client),
/// against real, independent TLS peers: openssl s_client and s_server, curl, redis-cli --tls.
/// </summary>
public sealed class TlsTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Openssl_s_client_gets_its_lines_back_from_echo()
    {
        await using var echo = await SampleProcess.StartServerAsync("Echo", log, "--port", "0", "--tls");
        await using var client = StartOpenssl("s_client", "-connect", $"127.0.0.1:{echo.Port}", "-quiet");

        await client.SendAsync("hello over tls\n");
        await client.WaitForLineAsync(l => l == "hello over tls");
        await client.SendAsync("über ✓\n");
        await client.WaitForLineAsync(l => l == "über ✓");
    }

    [Fact]
    public async Task Socat_gets_a_megabyte_of_binary_data_back_over_tls_byte_for_byte()
    {
        await using var echo = await SampleProcess.StartServerAsync("Echo", log, "--port", "0", "--tls");
        var data = new byte[1024 * 1024 + 17]; // many TLS records (16 KiB each), both ways
        new Random(42).NextBytes(data);

        // After its input socat sends close_notify and reads on until the server closes (-t 30 bounds it).
        var result = await Tool.RunAsync("socat", ["-t", "30", "-", $"OPENSSL:127.0.0.1:{echo.Port},verify=0"], data);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(data.Length, result.Stdout.Length);
        Assert.True(data.AsSpan().SequenceEqual(result.Stdout), "the echoed bytes differ from the bytes sent");
    }

    [Fact]
    public async Task Openssl_s_client_talks_to_echo_over_a_unix_socket()
    {
        string path = Net.UnixPath("echo-tls");
        await using var echo = await SampleProcess.StartServerAsync("Echo", log, "--unix", path, "--tls");
        await using var client = StartOpenssl("s_client", "-unix", path, "-quiet");

        await client.SendAsync("tls over unix\n");
        await client.WaitForLineAsync(l => l == "tls over unix");
    }

    [Fact]
    public async Task A_stop_signal_ends_tls_sessions_with_close_notify_and_exits_0()
    {
        await using var echo = await SampleProcess.StartServerAsync("Echo", log, "--port", "0", "--tls");
        await using var client = StartOpenssl("s_client", "-connect", $"127.0.0.1:{echo.Port}", "-ign_eof");
        await client.SendAsync("before the stop\n");
        await client.WaitForLineAsync(l => l == "before the stop");

        echo.Signal(SampleProcess.Signals.SIGTERM);

        Assert.Equal(0, await echo.WaitForExitAsync());
        Assert.Equal(0, await client.WaitForExitAsync());
        // s_client prints "closed" for a close_notify alert; a connection cut without one is an error to it.
        Assert.Contains("\nclosed", client.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_printed_fingerprint_is_that_of_the_self_signed_certificate_clients_get()
    {
        await using var echo = await SampleProcess.StartServerAsync("Echo", log, "--port", "0", "--tls");
        string printed = (await echo.WaitForLineAsync("tls: SHA-256 fingerprint "))["tls: SHA-256 fingerprint ".Length..];

        // Without -quiet, s_client prints the server's certificate and ends at the end of its (empty) input.
        var session = await Tool.RunAsync("openssl", "", "s_client", "-connect", $"127.0.0.1:{echo.Port}");
        var text = await Tool.RunAsync("openssl", session.Text, "x509", "-noout", "-text");

        Assert.Equal(printed, await PemFiles.FingerprintAsync(session.Text));
        Assert.Contains("Subject: CN = localhost", text.Text, StringComparison.Ordinal);
        Assert.Contains("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1", text.Text, StringComparison.Ordinal);
        Assert.Contains("NIST CURVE: P-256", text.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plaintext_client_on_the_tls_port_gets_no_plaintext_and_the_server_keeps_serving()
    {
        await using var echo = await SampleProcess.StartServerAsync("Echo", log, "--port", "0", "--tls");

        // nc reads until the server closes: it fails the handshake on the first bytes, which are not a TLS record.
        var plain = await Tool.RunAsync("nc", ["-N", "127.0.0.1", P(echo.Port)], "plain text\n"u8.ToArray());
        await echo.WaitForLineAsync("TLS handshake failed");

        Assert.Equal(0, plain.ExitCode);
        Assert.True(plain.Stdout.Length == 0 || plain.Stdout[0] == 0x15, $"expected nothing or a TLS alert record, got: {plain}");
        Assert.DoesNotContain("plain text", plain.Text, StringComparison.Ordinal);

        await using var client = StartOpenssl("s_client", "-connect", $"127.0.0.1:{echo.Port}", "-quiet");
        await client.SendAsync("still serving\n");
        await client.WaitForLineAsync(l => l == "still serving");
    }

    // Chat writes its welcome from [OnServerConnection], before the handshake. The runtime sends that write in
    // plaintext ahead of the ServerHello (the connection handler's scope flushes it through the plain transport
    // before TcpServer puts TLS in place), so s_client fails with "wrong version number".
    [Fact]
    public async Task Openssl_s_client_is_welcomed_by_chat_after_the_handshake()
    {
        await using var chat = await SampleProcess.StartServerAsync("Chat", log, "--port", "0", "--tls");
        await using var client = StartOpenssl("s_client", "-connect", $"127.0.0.1:{chat.Port}", "-quiet");

        await client.WaitForLineAsync(l => l == "Welcome to the Conserv chat, 1 connected. Your nick?");
        await client.SendAsync("alice\n");
        await client.WaitForLineAsync(l => l == "Hello alice! Online: nobody else");
    }

    [Fact]
    public async Task Curl_gets_hello_world_from_http_hello_over_http_1_1_although_it_offers_h2()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log, "--port", "0", "--tls");
        string url = $"https://127.0.0.1:{http.Port}/";

        var insecure = await Tool.RunAsync("curl", "", "-sSk", "--http2", "-w", "\n%{http_version}", url);
        var verifying = await Tool.RunAsync("curl", "", "-sS", url);

        Assert.True(insecure.ExitCode == 0, insecure.ToString());
        Assert.Equal("Hello, World!\n\n1.1", insecure.Text);
        Assert.Equal(60, verifying.ExitCode); // CURLE_PEER_FAILED_VERIFICATION: the certificate is self-signed
    }

    [Fact]
    public async Task Curl_reuses_one_tls_connection_and_gets_a_posted_body_back()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log, "--port", "0", "--tls");
        string url = $"https://127.0.0.1:{http.Port}";
        string body = string.Concat(Enumerable.Range(0, 5000).Select(i => $"line {i}\n")); // ~44 KB: several TLS records

        var keptAlive = await Tool.RunAsync("curl", "", "-skv", $"{url}/", $"{url}/missing", $"{url}/");
        var echoed = await Tool.RunAsync("curl", body, "-sk", "--data-binary", "@-", $"{url}/echo");

        Assert.Equal("Hello, World!\nNot Found\nHello, World!\n", keptAlive.Text);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(keptAlive.Stderr, "Re-using existing connection").Count);
        Assert.Equal(body, echoed.Text);
    }

    [Fact]
    public async Task Redis_cli_sets_and_gets_over_tls()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log, "--port", "0", "--tls");

        var set = await Tool.RunAsync("redis-cli", ["--tls", "--insecure", "-h", "127.0.0.1", "-p", P(kv.Port), "SET", "greeting", "héllo ✓"]);
        var get = await Tool.RunAsync("redis-cli", ["--tls", "--insecure", "-h", "127.0.0.1", "-p", P(kv.Port), "GET", "greeting"]);
        var plain = await Tool.RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", P(kv.Port), "GET", "greeting"]);

        Assert.Equal("OK\n", set.Text);
        Assert.Equal("héllo ✓\n", get.Text);
        Assert.DoesNotContain("héllo", plain.Text + plain.Stderr, StringComparison.Ordinal); // plaintext RESP is not answered
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_certificate_from_pem_files_is_verified_by_openssl_s_client(bool keyInCertFile)
    {
        using var pem = await PemFiles.CreateAsync();
        string certFile = pem.Cert;
        string[] keyArgs = ["--tls-key", pem.Key];
        if (keyInCertFile)
        {
            // One file, key then certificate (as some tools write them): --tls-cert alone.
            certFile = Path.Combine(pem.Directory, "both.pem");
            File.WriteAllText(certFile, File.ReadAllText(pem.Key) + File.ReadAllText(pem.Cert));
            keyArgs = [];
        }

        await using var echo = await SampleProcess.StartServerAsync("Echo", log, ["--port", "0", "--tls-cert", certFile, .. keyArgs]);
        string printed = (await echo.WaitForLineAsync("tls: SHA-256 fingerprint "))["tls: SHA-256 fingerprint ".Length..];
        Assert.Equal(await PemFiles.FingerprintAsync(File.ReadAllText(pem.Cert)), printed);

        // -verify_return_error: s_client ends the connection unless the chain verifies against c.pem and names localhost.
        await using var client = StartOpenssl("s_client", "-connect", $"127.0.0.1:{echo.Port}", "-servername", "localhost",
            "-verify_return_error", "-CAfile", pem.Cert, "-verify_hostname", "localhost", "-quiet");
        await client.SendAsync("verified\n");
        await client.WaitForLineAsync(l => l == "verified");
        Assert.DoesNotContain("verify error", client.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fullchain.pem", true)]
    [InlineData("leaf.pem", false)]
    public async Task The_intermediate_certificates_after_the_servers_own_in_the_file_are_sent_with_it(string certFile, bool verifies)
    {
        using var pem = await PemFiles.CreateAsync();
        await pem.MakeChainAsync();
        await using var echo = await SampleProcess.StartServerAsync("Echo", log,
            "--port", "0", "--tls-cert", Path.Combine(pem.Directory, certFile), "--tls-key", Path.Combine(pem.Directory, "leaf.key"));

        // s_client trusts the root only: it can build the chain only if the server sends the intermediate.
        var result = await Tool.RunAsync("openssl", "", "s_client", "-connect", $"127.0.0.1:{echo.Port}", "-verify_return_error",
            "-CAfile", Path.Combine(pem.Directory, "root.pem"), "-verify_hostname", "localhost");

        Assert.True((result.ExitCode == 0) == verifies, result.ToString());
        Assert.Equal(verifies, result.Text.Contains("Verify return code: 0 (ok)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_tls_arguments_give_a_clear_message_and_exit_2()
    {
        using var pem = await PemFiles.CreateAsync();
        await pem.MakeAsync("other-k.pem", "other-c.pem");
        string otherKey = Path.Combine(pem.Directory, "other-k.pem");
        string missing = Path.Combine(pem.Directory, "missing.pem");

        await AssertRefused(["--tls-key", pem.Key], "error: --tls-key needs --tls-cert");
        await AssertRefused(["--tls-cert", missing, "--tls-key", pem.Key], $"error: --tls-cert: no such file '{missing}'");
        await AssertRefused(["--tls-cert", pem.Cert, "--tls-key", missing], $"error: --tls-key: no such file '{missing}'");
        await AssertRefused(["--tls-cert", pem.Cert], "error: cannot use the TLS certificate: "); // no key in c.pem
        await AssertRefused(["--tls-cert", pem.Cert, "--tls-key", otherKey], "error: cannot use the TLS certificate: ");
        await AssertRefused(["--tls-cert", pem.Key, "--tls-key", pem.Key], "error: cannot use the TLS certificate: "); // no certificate

        async Task AssertRefused(string[] args, string message)
        {
            await using var echo = SampleProcess.Start("Echo", log, ["--port", "0", .. args]);
            Assert.Equal(2, await echo.WaitForExitAsync());
            Assert.Contains("stderr: " + message, echo.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("listening on", echo.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_client_talks_to_openssl_s_server_with_insecure_and_refuses_its_certificate_without()
    {
        using var pem = await PemFiles.CreateAsync();
        int port = Net.FreePort();

        // -rev: s_server answers each line reversed, so the reply is s_server's own and not an echo.
        await using var server = StartOpenssl("s_server", "-accept", $"127.0.0.1:{port}", "-cert", pem.Cert, "-key", pem.Key, "-rev");
        await server.WaitForLineAsync(l => l == "ACCEPT");

        await using var refusing = SampleProcess.Start("Client", log, "--port", P(port), "--tls", "--count", "1", "--max-retries", "1", "--retry", "1");
        Assert.Equal(1, await refusing.WaitForExitAsync());
        Assert.Contains("tls error: ", refusing.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("received:", refusing.Output, StringComparison.Ordinal);

        await using var client = SampleProcess.Start("Client", log, "--port", P(port), "--tls", "--insecure", "--count", "2", "--interval", "1");
        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Contains($"connected to 127.0.0.1:{port}\ntls: Tls13 ", client.Output, StringComparison.Ordinal);
        Assert.Contains("server certificate CN=localhost", client.Output, StringComparison.Ordinal);
        Assert.Contains("received: 1 olleh\nreceived: 2 olleh\ndone after 2 replies", client.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_client_talks_to_echo_over_tls()
    {
        await using var echo = await SampleProcess.StartServerAsync("Echo", log, "--port", "0", "--tls");
        await using var client = SampleProcess.Start("Client", log, "--port", P(echo.Port), "--tls", "--insecure", "--count", "2", "--interval", "1");

        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Contains("received: hello 1\nreceived: hello 2\ndone after 2 replies", client.Output, StringComparison.Ordinal);
    }

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Starts <c>openssl COMMAND args</c> as a long-running peer whose input the test writes and whose lines it waits for.</summary>
    private SampleProcess StartOpenssl(string command, params string[] args) =>
        SampleProcess.Start("openssl " + command, log, new SampleLaunch { Program = Tool.Require("openssl") }, [command, .. args]);
}
