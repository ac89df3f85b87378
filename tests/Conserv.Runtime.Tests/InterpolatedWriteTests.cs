using System;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>
/// <see cref="TcpSocketInterpolatedStringHandler"/>, what <c>socket.Write($"...")</c> formats into: each kind of hole,
/// alignment both ways, and growth past its first buffer. The handler itself is checked (its text before the write);
/// one test sends a long interpolation through a real connection.
/// </summary>
public class InterpolatedWriteTests
{
    private static TcpSocketInterpolatedStringHandler New() => new(literalLength: 0, formattedCount: 0, socket: null!);

    /// <summary>The handler's text; its buffer goes back to the pool, as after a write.</summary>
    private static string Finish(ref TcpSocketInterpolatedStringHandler handler)
    {
        string text = handler.Text.ToString();
        handler.Dispose();
        return text;
    }

    /// <summary>Formattable, but not span-formattable: goes through <see cref="IFormattable.ToString(string?, IFormatProvider?)"/>.</summary>
    private sealed class OnlyFormattable : IFormattable
    {
        public string ToString(string? format, IFormatProvider? formatProvider) => $"F[{format}]";

        public override string ToString() => "plain";
    }

    /// <summary>Neither: goes through <see cref="object.ToString"/>.</summary>
    private sealed class Plain
    {
        public override string ToString() => "plain object";
    }

    /// <summary>Span-formattable text longer than the handler's first buffer, so that it must grow and try again.</summary>
    private readonly struct Long(int length) : ISpanFormattable
    {
        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
        {
            if (destination.Length < length)
            {
                charsWritten = 0;
                return false;
            }

            for (int i = 0; i < length; i++)
            {
                destination[i] = (char)('a' + (i % 26));
            }

            charsWritten = length;
            return true;
        }

        public string ToString(string? format, IFormatProvider? formatProvider) => throw new InvalidOperationException("TryFormat is the path");

        public static string Expected(int length) => new(Enumerable.Range(0, length).Select(i => (char)('a' + (i % 26))).ToArray());
    }

    [Fact]
    public void Each_kind_of_hole_is_formatted_as_string_interpolation_would()
    {
        var h = New();
        h.AppendLiteral("n=");
        h.AppendFormatted(42);
        h.AppendLiteral(" x=");
        h.AppendFormatted(255, "X4");
        h.AppendLiteral(" s=");
        h.AppendFormatted("str");
        h.AppendFormatted((string?)null);
        h.AppendFormatted("span".AsSpan());
        h.AppendLiteral(" f=");
        h.AppendFormatted(new OnlyFormattable(), "G7");
        h.AppendLiteral(" p=");
        h.AppendFormatted(new Plain());
        h.AppendFormatted<object?>(null);
        h.AppendLiteral(" d=");
        h.AppendFormatted(1.5);
        string text = Finish(ref h);

        Assert.Equal(string.Create(CultureInfo.CurrentCulture, $"n=42 x=00FF s=strspan f=F[G7] p=plain object d={1.5}"), text);
    }

    [Fact]
    public void Alignment_pads_on_the_left_when_positive_on_the_right_when_negative_and_never_cuts()
    {
        Assert.Equal("[   ab]", Aligned("ab", 5));
        Assert.Equal("[ab   ]", Aligned("ab", -5));
        Assert.Equal("[abcde]", Aligned("abcde", 5));
        Assert.Equal("[abcdef]", Aligned("abcdef", -5));
        Assert.Equal("[  00FF]", Aligned(255, 6, "X4"));
        Assert.Equal("[ab]", Aligned("ab", 0));

        // Past the first buffer of 64 characters, after text already written.
        string prefix = new('p', 60);
        Assert.Equal("[" + prefix + new string(' ', 200) + "ab]", Aligned("ab", 202, prefix: prefix));
        Assert.Equal("[" + prefix + "ab" + new string(' ', 200) + "]", Aligned("ab", -202, prefix: prefix));
    }

    private static string Aligned<T>(T value, int alignment, string? format = null, string prefix = "")
    {
        var h = New();
        h.AppendLiteral("[");
        h.AppendLiteral(prefix);
        h.AppendFormatted(value, alignment, format);
        h.AppendLiteral("]");
        return Finish(ref h);
    }

    [Fact]
    public void The_buffer_grows_past_its_first_size_and_keeps_what_was_written_before()
    {
        // The first buffer holds 64 characters: a literal and a span-formattable value each go past it.
        string prefix = new('p', 60);
        var h = New();
        h.AppendLiteral(prefix);
        h.AppendLiteral(new string('L', 300));
        h.AppendLiteral("!");
        Assert.Equal(prefix + new string('L', 300) + "!", Finish(ref h));

        h = New();
        h.AppendLiteral(prefix);
        h.AppendFormatted(new Long(500));
        h.AppendLiteral("!");
        Assert.Equal(prefix + Long.Expected(500) + "!", Finish(ref h));
    }

    [Fact]
    public async Task A_long_interpolated_write_arrives_whole()
    {
        string name = new('n', 3000);
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Write($"{name}:{12345,8}:{-1,-4}|{new Long(100)}\n");
                c.Close();
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var (data, _) = await peer.ReadToEndAsync();
        Assert.Equal($"{name}:   12345:-1  |{Long.Expected(100)}\n", Encoding.UTF8.GetString(data));
    }
}
