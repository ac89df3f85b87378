using System.Collections.Generic;
using System.Linq;
using System.Text;
using Conserv.Samples.KeyValue;
using Conserv.Samples.Tests.Support;

namespace Conserv.Samples.Tests;

/// <summary>
/// KeyValue's RESP decoder, driven by the runtime's decoder contract: the same pipelined input cut at every
/// possible place (and in single bytes) gives the same commands; malformed input gets Redis's messages.
/// </summary>
public sealed class RespDecoderTests
{
    private static readonly byte[] s_resp = Encoding.UTF8.GetBytes(
        "*3\r\n$3\r\nSET\r\n$5\r\nkey:1\r\n$7\r\nvalué!\r\n" +
        "PING\r\n" +
        "\r\n" +
        "SET k \"a b\\r\\n\" 'c d'\n" +
        "*2\r\n$3\r\nGET\r\n$0\r\n\r\n" +
        "*0\r\n" +
        "*1\r\n$4\r\nQUIT\r\n");

    public static IEnumerable<object[]> RespSplits => Enumerable.Range(0, s_resp.Length + 1).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(RespSplits))]
    public void Commands_are_the_same_wherever_the_input_is_cut(int cut)
    {
        Assert.Equal(Whole(), Decode(s_resp[..cut], s_resp[cut..]));
    }

    [Fact]
    public void Commands_are_the_same_fed_one_byte_at_a_time()
    {
        Assert.Equal(Whole(), Decode(s_resp.Select(b => new[] { b }).ToArray()));
        Assert.Equal(["SET key:1 valué!", "PING", "", "SET k a b\r\n c d", "GET ", "", "QUIT"], Whole());
    }

    [Fact]
    public void A_bulk_string_is_a_slice_of_the_input_not_a_copy()
    {
        byte[] input = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"u8.ToArray();
        int length = new RespDecoder().Decode(input, out RespCommand command);
        Assert.Equal(input.Length, length);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(command.Memory(1), out var segment));
        Assert.Same(input, segment.Array);
        Assert.Equal(17, segment.Offset);
    }

    [Theory]
    [InlineData("*x\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*1\r\n$-5\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$-1\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$536870913\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n+PING\r\n", "Protocol error: expected '$', got '+'")]
    [InlineData("*1\r\n$4\r\nPINGxx", "Protocol error: bulk string not terminated by CRLF")]
    [InlineData("SET \"a b\n", "Protocol error: unbalanced quotes in request")]
    public void Malformed_input_is_reported_with_redis_messages(string input, string message)
    {
        var error = Assert.Throws<RespProtocolException>(() => new RespDecoder().Decode(Encoding.UTF8.GetBytes(input), out _));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Endless_headers_and_inline_commands_are_refused_at_the_line_limit()
    {
        byte[] inline = Encoding.ASCII.GetBytes(new string('a', RespDecoder.MaxLineLength + 1));
        Assert.Throws<RespProtocolException>(() => new RespDecoder().Decode(inline, out _));
        byte[] header = Encoding.ASCII.GetBytes("*" + new string('1', RespDecoder.MaxLineLength + 1));
        Assert.Throws<RespProtocolException>(() => new RespDecoder().Decode(header, out _));
    }

    [Fact]
    public void A_command_of_a_million_arguments_fed_in_pieces_arrives_whole()
    {
        const int count = 1_000_000;
        var builder = new StringBuilder($"*{count + 1}\r\n$4\r\nMSET\r\n");
        for (int i = 0; i < count; i++)
        {
            builder.Append("$1\r\n").Append((char)('a' + (i % 26))).Append("\r\n");
        }

        byte[] input = Encoding.ASCII.GetBytes(builder.ToString());
        var reads = Enumerable.Range(0, (input.Length + 65535) / 65536).Select(i => input[(i * 65536)..System.Math.Min(input.Length, (i + 1) * 65536)]).ToArray();
        var (frames, leftover) = DecoderFeed.Run(new RespDecoder(), c => $"{c.Count} {(char)c[1][0]} {(char)c[count][0]}", reads);
        Assert.Equal([$"{count + 1} a {(char)('a' + ((count - 1) % 26))}"], frames);
        Assert.Equal(0, leftover);
    }

    private static List<string> Whole() => Decode(s_resp);

    private static List<string> Decode(params byte[][] reads)
    {
        var (frames, leftover) = DecoderFeed.Run(
            new RespDecoder(),
            c => string.Join(' ', Enumerable.Range(0, c.Count).Select(i => Encoding.UTF8.GetString(c[i]))),
            reads);
        Assert.Equal(0, leftover);
        return frames;
    }
}
