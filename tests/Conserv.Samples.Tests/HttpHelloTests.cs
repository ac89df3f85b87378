using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Conserv.Samples.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Samples.Tests;

/// <summary>The HttpHello sample, talked to by curl (and nc / a raw socket for pipelining and bad requests).</summary>
public sealed class HttpHelloTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Curl_gets_hello_world()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log);

        var result = await Curl("-s", "-i", Url(http, "/"));

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", result.Text, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 14\r\n", result.Text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nHello, World!\n", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Curl_gets_hello_world_over_a_unix_socket()
    {
        string path = Net.UnixPath("http");
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log, "--unix", path);

        var result = await Curl("-s", "--unix-socket", path, "http://localhost/");

        Assert.Equal("Hello, World!\n", result.Text);
    }

    [Fact]
    public async Task Curl_reuses_one_keep_alive_connection_for_several_urls()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log);

        var result = await Curl("-sv", Url(http, "/"), Url(http, "/missing"), Url(http, "/"));

        Assert.Equal("Hello, World!\nNot Found\nHello, World!\n", result.Text);
        Assert.Single(Regex.Matches(result.Stderr, "Connected to"));
        Assert.Equal(2, Regex.Matches(result.Stderr, "Re-using existing connection").Count);
    }

    [Fact]
    public async Task Curl_posts_a_body_to_echo_and_gets_it_back()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log);
        string body = string.Concat(Enumerable.Range(0, 5000).Select(i => $"line {i}\n")); // ~44 KB: many reads

        var result = await Tool.RunAsync("curl", body, "-s", "--data-binary", "@-", "-H", "Content-Type: text/plain", Url(http, "/echo"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(body, result.Text);
    }

    [Fact]
    public async Task Curl_sees_head_404_and_405()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log);

        var head = await Curl("-s", "-I", Url(http, "/"));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", head.Text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", head.Text, StringComparison.Ordinal);

        Assert.Equal("404", (await Curl("-s", "-o", "/dev/null", "-w", "%{http_code}", Url(http, "/nowhere"))).Text);
        var delete = await Curl("-s", "-i", "-X", "DELETE", Url(http, "/"));
        Assert.StartsWith("HTTP/1.1 405 Method Not Allowed\r\n", delete.Text, StringComparison.Ordinal);
        Assert.Contains("Allow: GET, HEAD\r\n", delete.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Curl_with_http_1_0_gets_the_answer_and_the_connection_closes()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log);

        var result = await Curl("-s", "-i", "--http1.0", Url(http, "/"));

        Assert.Contains("Connection: close\r\n", result.Text, StringComparison.Ordinal);
        Assert.EndsWith("Hello, World!\n", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipelined_requests_in_one_write_are_answered_in_order()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log);
        using var client = await LineClient.ConnectAsync(http.Port);

        await client.SendAsync(
            "GET / HTTP/1.1\r\nHost: x\r\n\r\n" +
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst" +
            "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" +
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecond" +
            "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); // after "Connection: close": never answered
        string all = await client.ReadToEndAsync();

        var statuses = Regex.Matches(all, @"HTTP/1\.1 (\d{3})").Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(["200", "200", "404", "200"], statuses);
        Assert.Matches(@"(?s)Hello, World!\n.*\r\n\r\nfirst.*Not Found\n.*\r\n\r\nsecond$", all);
    }

    [Fact]
    public async Task A_malformed_request_gets_400_and_the_connection_closes()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log);

        // nc without -N exits only because the server closes the connection.
        var result = await Tool.RunAsync("nc", "HELLO THERE\r\n\r\n", "127.0.0.1", http.Port.ToString(CultureInfo.InvariantCulture));

        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", result.Text, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", result.Text, StringComparison.Ordinal);
        Assert.Equal("Hello, World!\n", (await Curl("-s", Url(http, "/"))).Text); // the server is fine
    }

    [Fact]
    public async Task Curl_posts_a_body_of_the_largest_size_and_gets_it_back()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log);
        string body = new('b', 1024 * 1024); // the sample's body limit

        var result = await Tool.RunAsync("curl", body, "-s", "--max-time", "30", "-H", "Expect:", "--data-binary", "@-", Url(http, "/echo"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(body.Length, result.Text.Length);
        Assert.Equal(body, result.Text);
    }

    [Theory]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", "413 Content Too Large")] // refused before the body is sent
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nX-Big: ", "431 Request Header Fields Too Large")] // padded to one byte over 16 KiB, never ended
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "501 Not Implemented")]
    [InlineData("GET / HTTP/1.2\r\nHost: x\r\n\r\n", "505 HTTP Version Not Supported")]
    public async Task A_request_that_cannot_be_served_gets_its_status_and_the_connection_closes(string request, string status)
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log);
        using var client = await LineClient.ConnectAsync(http.Port);
        if (status.StartsWith("431", StringComparison.Ordinal))
        {
            request += new string('a', (16 * 1024) + 1 - request.Length);
        }

        await client.SendAsync(request);
        string all = await client.ReadToEndAsync();

        Assert.StartsWith($"HTTP/1.1 {status}\r\n", all, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_ends_its_side_inside_a_request_gets_the_answers_before_it_whole_and_then_the_end()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log);
        using var client = await LineClient.ConnectAsync(http.Port);
        string body = new('e', 1024 * 1024); // a response far over the output's high water mark: still queued at the end of file

        await client.SendAsync($"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {body.Length}\r\n\r\n{body}GET /never HTTP/1.1\r\nHo");
        client.Stream.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        string all = await client.ReadToEndAsync();

        var statuses = Regex.Matches(all, @"HTTP/1\.1 (\d{3})").Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(["200"], statuses);
        Assert.EndsWith("\r\n\r\n" + body, all, StringComparison.Ordinal);
        Assert.Equal("Hello, World!\n", (await Curl("-s", Url(http, "/"))).Text); // the server is fine
    }

    [Fact]
    public async Task A_request_head_that_does_not_arrive_in_time_gets_408_and_the_connection_closes()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log, "--head-timeout", "1");
        using var client = await LineClient.ConnectAsync(http.Port);
        var clock = Stopwatch.StartNew();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n"); // never ended
        string all = await client.ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", all, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", all, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 10);
    }

    [Fact]
    public async Task A_kept_alive_connection_may_wait_longer_than_the_head_timeout_and_each_head_is_timed_from_its_first_byte()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log, "--head-timeout", "1");
        using var client = await LineClient.ConnectAsync(http.Port);

        // Waiting between requests is the keep-alive time-out's business (130 s), not the head's (1 s).
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal("Hello, World!", await client.ReadLineUntilAsync(line => line.StartsWith("Hello", StringComparison.Ordinal)));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal("HTTP/1.1 200 OK", await client.ReadLineAsync());
        Assert.Equal("Hello, World!", await client.ReadLineUntilAsync(line => line.StartsWith("Hello", StringComparison.Ordinal)));

        // A request that begins after another idle while is timed from its first byte, not from the last response.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var clock = Stopwatch.StartNew();
        await client.SendAsync("GET / HTTP/1.1\r\nHo");
        Assert.Equal("HTTP/1.1 408 Request Timeout", await client.ReadLineAsync());
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 10);
    }

    [Fact]
    public async Task A_pipelined_request_left_incomplete_after_an_answered_one_gets_408()
    {
        await using var http = await SampleProcess.StartServerAsync("HttpHello", log, "--head-timeout", "1");
        using var client = await LineClient.ConnectAsync(http.Port);
        var clock = Stopwatch.StartNew();

        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n");
        string all = await client.ReadToEndAsync();

        var statuses = Regex.Matches(all, @"HTTP/1\.1 (\d{3})").Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(["200", "408"], statuses);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 10);
    }

    private static string Url(SampleProcess http, string path) => $"http://127.0.0.1:{http.Port}{path}";

    private static async Task<ToolResult> Curl(params string[] args)
    {
        var result = await Tool.RunAsync("curl", ["--max-time", "30", .. args]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }
}
