using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Conserv.Samples.HttpHello;

namespace Conserv.Samples.Tests;

/// <summary>
/// HttpHello's request decoder, driven by the decoder contract as the runtime drives it: each call gets the input
/// from the start of the request under way to the end of what has arrived, the same start again (with more
/// appended) after it returned 0, the byte after a request once it returned one.
/// </summary>
public sealed class HttpDecoderTests
{
    private static readonly byte[] s_http = Encoding.Latin1.GetBytes(
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n" +
        "\r\nPOST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello\r\n\r\nxx" +
        "GET /x?y=1 HTTP/1.0\nConnection: keep-alive\n\n");

    private static readonly string[] s_expected = ["GET / 1 keep-alive ", "POST /echo 1 keep-alive hello\r\n\r\nxx", "GET /x?y=1 0 keep-alive "];

    public static IEnumerable<object[]> HttpSplits => Enumerable.Range(0, s_http.Length + 1).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(HttpSplits))]
    public void Requests_are_the_same_wherever_the_input_is_cut(int cut)
    {
        var decoder = new HttpRequestDecoder();

        Assert.Equal(s_expected, Feed(decoder, s_http, [cut, s_http.Length]));
        Assert.InRange(decoder.Examined, s_http.Length / 2, 2 * s_http.Length); // nothing searched again after the cut
    }

    [Fact]
    public void Requests_are_the_same_fed_one_byte_at_a_time()
    {
        var decoder = new HttpRequestDecoder();

        Assert.Equal(s_expected, Feed(decoder, s_http, Enumerable.Range(1, s_http.Length)));
        Assert.InRange(decoder.Examined, s_http.Length / 2, 2 * s_http.Length);
    }

    [Theory]
    [InlineData("GET /\r\n\r\n", 400)]
    [InlineData("GET / HTTP/2.0\r\n\r\n", 505)]
    [InlineData("GET / HTTP/1.1\r\n\r\n", 400)] // no Host
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost a\r\n\r\n", 400)]
    [InlineData("HELLO THERE\r\n\r\n", 400)]
    [InlineData("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400)] // three parts, not four
    [InlineData("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400)] // the method is not a token
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nBad\r\n\r\n", 400)] // a malformed field goes first
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5a\r\n\r\nhello", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", 413)]
    public void Malformed_requests_get_their_status_however_they_arrive(string input, int status)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(input);

        Assert.Equal(status, Assert.Throws<HttpParseException>(() => Feed(new HttpRequestDecoder(), bytes, [bytes.Length])).Status);
        Assert.Equal(status, Assert.Throws<HttpParseException>(() => Feed(new HttpRequestDecoder(), bytes, Enumerable.Range(1, bytes.Length))).Status);
    }

    [Fact]
    public void A_same_content_length_twice_frames_the_body()
    {
        byte[] bytes = Encoding.Latin1.GetBytes("POST /echo HTTP/1.1\r\nContent-Length: 5\r\nHost: a\r\ncontent-length:  5 \r\n\r\nhello");

        Assert.Equal(["POST /echo 1 keep-alive hello"], Feed(new HttpRequestDecoder(), bytes, [bytes.Length]));
    }

    [Theory]
    [InlineData("HELLO THERE\r\n", 400)]
    [InlineData("GET / HTTP/3\r\n", 505)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nno colon\r\n", 400)]
    public void A_bad_line_is_refused_as_soon_as_it_arrives_before_the_head_ends(string input, int status)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(input);

        Assert.Equal(status, Assert.Throws<HttpParseException>(() => Feed(new HttpRequestDecoder(), bytes, Enumerable.Range(1, bytes.Length))).Status);
    }

    [Fact]
    public void A_head_of_the_maximum_length_is_read_and_one_byte_more_is_refused_with_431()
    {
        byte[] longest = Head(HttpRequestDecoder.MaxHeadLength);
        byte[] over = Head(HttpRequestDecoder.MaxHeadLength + 1);

        Assert.Equal(["GET / 1 keep-alive "], Feed(new HttpRequestDecoder(), longest, [longest.Length]));
        Assert.Equal(431, Assert.Throws<HttpParseException>(() => Feed(new HttpRequestDecoder(), over, [over.Length])).Status);

        // Without its end the head is refused as soon as it is longer than the maximum, not held any longer.
        var decoder = new HttpRequestDecoder();
        byte[] endless = longest[..^4];
        var input = new byte[HttpRequestDecoder.MaxHeadLength + 1];
        endless.CopyTo(input, 0);
        input.AsSpan(endless.Length).Fill((byte)'a');
        Assert.Equal(0, decoder.Decode(input.AsMemory(0, HttpRequestDecoder.MaxHeadLength), out _));
        Assert.Equal(431, Assert.Throws<HttpParseException>(() => decoder.Decode(input, out _)).Status);
    }

    [Fact]
    public void A_body_of_the_maximum_length_is_read_and_one_byte_more_is_refused_with_413_before_it_comes()
    {
        byte[] head = Encoding.Latin1.GetBytes($"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: {HttpRequestDecoder.MaxBodyLength}\r\n\r\n");
        byte[] request = [.. head, .. Enumerable.Range(0, HttpRequestDecoder.MaxBodyLength).Select(i => (byte)i)];
        var decoder = new HttpRequestDecoder();

        Assert.Equal(request.Length, decoder.Decode(request, out var frame));
        Assert.True(frame.Body.Span.SequenceEqual(request.AsSpan(head.Length)));
        Assert.True(request.Length <= HttpRequestDecoder.MaxRequestLength);

        byte[] tooLong = Encoding.Latin1.GetBytes($"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: {HttpRequestDecoder.MaxBodyLength + 1}\r\n\r\n");
        Assert.Equal(413, Assert.Throws<HttpParseException>(() => decoder.Decode(tooLong, out _)).Status);
    }

    [Fact]
    public void A_request_inside_one_read_is_sliced_from_the_input_not_copied()
    {
        byte[] read = Encoding.Latin1.GetBytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\nPOST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET");
        int second = "GET / HTTP/1.1\r\nHost: a\r\n\r\n".Length;
        var decoder = new HttpRequestDecoder();

        Assert.Equal(second, decoder.Decode(read, out var first));
        Assert.True(MemoryMarshal.TryGetArray(first.Head, out var head));
        Assert.Same(read, head.Array);
        Assert.Equal((0, second), (head.Offset, head.Count));

        var rest = read.AsMemory(second);
        Assert.Equal(rest.Length - 3, decoder.Decode(rest, out var post));
        Assert.True(MemoryMarshal.TryGetArray(post.Head, out head));
        Assert.True(MemoryMarshal.TryGetArray(post.Body, out var body));
        Assert.Same(read, head.Array);
        Assert.Same(read, body.Array);
        Assert.Equal(second + 2, head.Offset); // after the empty line before it
        Assert.Equal("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", Encoding.Latin1.GetString(post.Head.Span));
        Assert.Equal((read.Length - 8, 5), (body.Offset, body.Count));
        Assert.Equal(0, decoder.Decode(read.AsMemory(read.Length - 3), out _)); // "GET": the next request has begun
    }

    [Fact]
    public void A_head_fed_one_byte_at_a_time_is_looked_at_a_bounded_number_of_times_per_byte()
    {
        byte[] head = Head(HttpRequestDecoder.MaxHeadLength, fieldLength: 30); // ~500 lines
        var decoder = new HttpRequestDecoder();
        int calls = 0;

        for (int end = 1; end < head.Length; end++)
        {
            calls++;
            Assert.Equal(0, decoder.Decode(head.AsMemory(0, end), out _));
        }

        Assert.Equal(head.Length, decoder.Decode(head, out var request));
        Assert.Equal(head.Length - 1, calls);
        Assert.Equal("GET", request.Method);
        Assert.InRange(decoder.Examined, head.Length, 2 * head.Length); // a reparse on each call would be ~head.Length² / 2
    }

    [Fact]
    public void A_megabyte_body_fed_one_byte_at_a_time_costs_the_same_for_each_byte()
    {
        byte[] head = Encoding.Latin1.GetBytes($"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\nContent-Length: {HttpRequestDecoder.MaxBodyLength}\r\n\r\n");
        byte[] request = [.. head, .. Enumerable.Range(0, HttpRequestDecoder.MaxBodyLength).Select(i => (byte)(i * 7))];
        var decoder = new HttpRequestDecoder();

        for (int end = 1; end < request.Length; end++)
        {
            Assert.Equal(0, decoder.Decode(request.AsMemory(0, end), out _));
        }

        long examinedBeforeTheBody = 2L * head.Length;
        Assert.InRange(decoder.Examined, head.Length, examinedBeforeTheBody); // the body's bytes are counted, not looked at
        Assert.Equal(request.Length, decoder.Decode(request, out var frame));
        Assert.True(frame.Body.Span.SequenceEqual(request.AsSpan(head.Length)));
        Assert.Equal("application/octet-stream", frame.Header("content-type"));
    }

    [Fact]
    public void The_decoder_holds_a_partial_request_from_its_first_byte_until_it_returns_it_or_is_reset()
    {
        byte[] bytes = Encoding.Latin1.GetBytes("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var decoder = new HttpRequestDecoder();
        Assert.False(decoder.HasPartialRequest);

        Assert.Equal(0, decoder.Decode(bytes.AsMemory(0, 1), out _)); // an empty line before the request counts: the clock is running
        Assert.True(decoder.HasPartialRequest);
        Assert.Equal(0, decoder.Decode(bytes.AsMemory(0, 10), out _));
        Assert.True(decoder.HasPartialRequest);
        Assert.Equal(bytes.Length, decoder.Decode(bytes, out _));
        Assert.False(decoder.HasPartialRequest);

        // After an error the runtime discards the input and resets the decoder: it starts afresh.
        byte[] bad = Encoding.Latin1.GetBytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5");
        Assert.Equal(0, decoder.Decode(bad, out _));
        Assert.Throws<HttpParseException>(() => decoder.Decode(Encoding.Latin1.GetBytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\n"), out _));
        decoder.Reset();
        Assert.False(decoder.HasPartialRequest);
        Assert.Equal(["GET / 1 keep-alive "], Feed(decoder, bytes, [3, bytes.Length]));
    }

    [Fact]
    public void Header_fields_are_read_from_the_head_as_sent()
    {
        byte[] bytes = Encoding.Latin1.GetBytes("GET /a HTTP/1.1\r\nHost:  example \r\nX-Name:\tcafé\r\nx-name: second\r\nEmpty:\r\n\r\n");

        Assert.Equal(bytes.Length, new HttpRequestDecoder().Decode(bytes, out var request));
        Assert.Equal("example", request.Header("HOST"));
        Assert.Equal("café", request.Header("x-name")); // the first of two, its Latin-1 byte kept
        Assert.Equal("", request.Header("Empty"));
        Assert.Null(request.Header("Missing"));
        KeyValuePair<string, string>[] fields = [new("Host", "example"), new("X-Name", "café"), new("x-name", "second"), new("Empty", "")];
        Assert.Equal(fields, request.Headers);
        Assert.True(request.Body.IsEmpty);
    }

    [Theory]
    [InlineData("HTTP/1.1", "", true)]
    [InlineData("HTTP/1.1", "Connection: close\r\n", false)]
    [InlineData("HTTP/1.1", "Connection: Upgrade, CLOSE\r\n", false)]
    [InlineData("HTTP/1.1", "Connection: keep-alive\r\nConnection: close\r\n", true)] // only the first counts
    [InlineData("HTTP/1.0", "", false)]
    [InlineData("HTTP/1.0", "Connection: Keep-Alive\r\n", true)]
    [InlineData("HTTP/1.0", "Connection: keep-alive-ish\r\n", false)]
    public void Keep_alive_follows_the_version_and_the_connection_header(string version, string fields, bool keepAlive)
    {
        byte[] bytes = Encoding.Latin1.GetBytes($"GET / {version}\r\nHost: a\r\n{fields}\r\n");

        Assert.Equal(bytes.Length, new HttpRequestDecoder().Decode(bytes, out var request));
        Assert.Equal(keepAlive, request.KeepAlive);
    }

    /// <summary>
    /// Feeds <paramref name="stream"/> as the runtime would: <paramref name="arrivals"/> are where the input has arrived
    /// up to, in order; each call gets a fresh copy of the input from the start of the request under way (so nothing
    /// may be kept from an earlier call but positions), and every request returned is described while it is valid.
    /// </summary>
    private static List<string> Feed(HttpRequestDecoder decoder, byte[] stream, IEnumerable<int> arrivals)
    {
        var requests = new List<string>();
        int start = 0;
        foreach (int end in arrivals)
        {
            while (start < end)
            {
                int length = decoder.Decode(stream[start..end], out var request);
                if (length == 0)
                {
                    Assert.True(decoder.HasPartialRequest);
                    break;
                }

                Assert.InRange(length, 1, end - start);
                Assert.False(decoder.HasPartialRequest);
                requests.Add($"{request.Method} {request.Target} {request.Minor} {(request.KeepAlive ? "keep-alive" : "close")} {Encoding.Latin1.GetString(request.Body.Span)}");
                start += length;
            }
        }

        Assert.Equal(stream.Length, start);
        return requests;
    }

    /// <summary>A GET head of exactly <paramref name="length"/> bytes, padded with header fields of about <paramref name="fieldLength"/> bytes.</summary>
    private static byte[] Head(int length, int fieldLength = 1000)
    {
        var head = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\n");
        int left = length - head.Length - 2; // the empty line ends it
        for (int i = 0; left > 0; i++)
        {
            string name = $"X-Pad-{i}: ";
            int overhead = name.Length + 2;
            int value = left - overhead <= fieldLength + 20 ? left - overhead : fieldLength; // the last field takes the rest
            head.Append(name).Append('a', value).Append("\r\n");
            left -= overhead + value;
        }

        byte[] bytes = Encoding.Latin1.GetBytes(head.Append("\r\n").ToString());
        Assert.Equal(length, bytes.Length);
        return bytes;
    }
}
