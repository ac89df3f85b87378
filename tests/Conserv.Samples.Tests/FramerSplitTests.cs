using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Conserv.Samples.Chat;
using Conserv.Samples.KeyValue;
using Conserv.Samples.Throttle;

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

    private static readonly byte[] s_text = Encoding.UTF8.GetBytes("héllo ✓\r\n\nwörld 😀 line\nlast\r\n");

    public static IEnumerable<object[]> SplitPoints(int length) => Enumerable.Range(0, length + 1).Select(i => new object[] { i });

    public static IEnumerable<object[]> RespSplits => SplitPoints(s_resp.Length);

    public static IEnumerable<object[]> TextSplits => SplitPoints(s_text.Length);

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
    [MemberData(nameof(TextSplits))]
    public void Lines_are_the_same_wherever_the_input_is_cut(int cut)
    {
        string[] expected = ["héllo ✓", "", "wörld 😀 line", "last"];

        // Chat's framer gets text that a stateful decoder produced from the two reads.
        var decoder = new UTF8Encoding(false).GetDecoder();
        var chat = new LineFramer();
        var chatLines = new List<string>();
        foreach (var part in new[] { s_text[..cut], s_text[cut..] })
        {
            var chars = new char[part.Length + 4];
            int count = decoder.GetChars(part, chars, flush: false);
            chat.Feed(chars.AsSpan(0, count), chatLines.Add);
        }

        // Throttle's framer gets the bytes themselves.
        var bytes = new ByteLineFramer();
        var byteLines = new List<string>();
        bytes.Feed(s_text[..cut], byteLines.Add);
        bytes.Feed(s_text[cut..], byteLines.Add);

        Assert.Equal(expected, chatLines);
        Assert.Equal(expected, byteLines);
    }

    [Fact]
    public void A_line_over_the_limit_is_an_error_even_when_it_arrives_in_pieces()
    {
        var framer = new LineFramer(maxLineLength: 10);
        var lines = new List<string>();
        framer.Feed("0123456789\r\n", lines.Add); // exactly at the limit, with its \r\n
        framer.Feed("0123456", lines.Add);

        Assert.Throws<InvalidOperationException>(() => framer.Feed("7890a", lines.Add));
        Assert.Equal(["0123456789"], lines);
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
}
