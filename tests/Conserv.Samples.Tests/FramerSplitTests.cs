using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Conserv.Samples.HttpHello;
using Conserv.Samples.KeyValue;

namespace Conserv.Samples.Tests;

/// <summary>
/// The samples' protocol framers, fed the same pipelined input cut at every possible place (and in single
/// bytes): the result must never depend on how the reads split the stream.
/// </summary>
public sealed class FramerSplitTests
{
    private static readonly byte[] s_resp = Encoding.UTF8.GetBytes(
        "*3\r\n$3\r\nSET\r\n$5\r\nkey:1\r\n$7\r\nvalué!\r\n" +
        "PING\r\n" +
        "\r\n" +
        "SET k \"a b\\r\\n\" 'c d'\n" +
        "*2\r\n$3\r\nGET\r\n$0\r\n\r\n" +
        "*1\r\n$4\r\nQUIT\r\n");

    private static readonly byte[] s_http = Encoding.Latin1.GetBytes(
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n" +
        "\r\nPOST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello\r\n\r\nxx" +
        "GET /x?y=1 HTTP/1.0\nConnection: keep-alive\n\n");

    public static IEnumerable<object[]> SplitPoints(int length) => Enumerable.Range(0, length + 1).Select(i => new object[] { i });

    public static IEnumerable<object[]> RespSplits => SplitPoints(s_resp.Length);

    public static IEnumerable<object[]> HttpSplits => SplitPoints(s_http.Length);

    [Theory]
    [MemberData(nameof(RespSplits))]
    public void Resp_commands_are_the_same_wherever_the_input_is_cut(int cut)
    {
        Assert.Equal(RespWhole(), Resp(s_resp[..cut], s_resp[cut..]));
    }

    [Fact]
    public void Resp_commands_are_the_same_fed_one_byte_at_a_time()
    {
        Assert.Equal(RespWhole(), Resp(s_resp.Select(b => new[] { b }).ToArray()));
        Assert.Equal(
            ["SET key:1 valué!", "PING", "SET k a b\r\n c d", "GET ", "QUIT"],
            RespWhole());
    }

    [Theory]
    [InlineData("*x\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*1\r\n$-5\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n+PING\r\n", "Protocol error: expected '$', got '+'")]
    [InlineData("SET k \"open\r\n", "Protocol error: unbalanced quotes in request")]
    [InlineData("*1\r\n$4\r\nPINGxx", "Protocol error: bulk string not terminated by CRLF")]
    public void Malformed_resp_is_reported_with_redis_messages(string input, string message)
    {
        var parser = new RespParser();
        parser.Append(Encoding.UTF8.GetBytes(input));
        var error = Assert.Throws<RespProtocolException>(() => parser.TryRead(out _));
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [MemberData(nameof(HttpSplits))]
    public void Http_requests_are_the_same_wherever_the_input_is_cut(int cut)
    {
        Assert.Equal(HttpWhole(), Http(s_http[..cut], s_http[cut..]));
    }

    [Fact]
    public void Http_requests_are_the_same_fed_one_byte_at_a_time()
    {
        Assert.Equal(HttpWhole(), Http(s_http.Select(b => new[] { b }).ToArray()));
        Assert.Equal(["GET / 1 keep-alive ", "POST /echo 1 keep-alive hello\r\n\r\nxx", "GET /x?y=1 0 keep-alive "], HttpWhole());
    }

    [Theory]
    [InlineData("GET /\r\n\r\n", 400)]
    [InlineData("GET / HTTP/2.0\r\n\r\n", 505)]
    [InlineData("GET / HTTP/1.1\r\n\r\n", 400)] // no Host
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost a\r\n\r\n", 400)]
    public void Malformed_http_gets_its_status(string input, int status)
    {
        var parser = new HttpRequestParser();
        parser.Append(Encoding.Latin1.GetBytes(input));
        Assert.Equal(status, Assert.Throws<HttpParseException>(() => parser.TryRead(out _)).Status);
    }

    private static List<string> RespWhole() => Resp(s_resp);

    private static List<string> Resp(params byte[][] reads)
    {
        var parser = new RespParser();
        var commands = new List<string>();
        foreach (var read in reads)
        {
            parser.Append(read);
            while (parser.TryRead(out var args))
            {
                commands.Add(string.Join(' ', args.Select(a => Encoding.UTF8.GetString(a))));
            }
        }

        Assert.Equal(0, parser.Buffered);
        return commands;
    }

    private static List<string> HttpWhole() => Http(s_http);

    private static List<string> Http(params byte[][] reads)
    {
        var parser = new HttpRequestParser();
        var requests = new List<string>();
        foreach (var read in reads)
        {
            parser.Append(read);
            while (parser.TryRead(out var request))
            {
                requests.Add($"{request.Method} {request.Target} {request.Minor} {(request.KeepAlive ? "keep-alive" : "close")} {Encoding.Latin1.GetString(request.Body)}");
            }
        }

        return requests;
    }
}
