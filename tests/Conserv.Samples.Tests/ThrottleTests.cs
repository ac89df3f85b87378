using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Conserv.Samples.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Samples.Tests;

/// <summary>The Throttle sample: output streamed from OnSocketOutputEmpty, input rate-limited with Pause(timeout).</summary>
public sealed class ThrottleTests(ITestOutputHelper log)
{
    private static readonly byte[] s_line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.\n"u8.ToArray();

    [Fact]
    public async Task Socat_gets_a_large_stream_exactly_with_at_most_one_chunk_queued()
    {
        await using var throttle = await SampleProcess.StartServerAsync("Throttle", log);
        const int size = 5_000_003;

        // socat ends its side right after the command: the half-open socket still gets the whole stream.
        var result = await Tool.RunAsync("socat", $"stream {size}\n", "-t", "30", "-", $"TCP:127.0.0.1:{throttle.Port}");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(size, result.Stdout.Length);
        Assert.True(result.Stdout.AsSpan().SequenceEqual(Pattern(size)), "the streamed bytes differ from the pattern");
        string report = await throttle.WaitForLineAsync($"streamed {size} bytes");
        long peak = long.Parse(Regex.Match(report, @"peak queue (\d+) bytes").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(peak, 0, 16 * 1024); // never more than the chunk in flight: the stream is not buffered
    }

    [Fact]
    public async Task Commands_after_a_stream_are_answered_in_order_after_it()
    {
        await using var throttle = await SampleProcess.StartServerAsync("Throttle", log);

        var result = await Tool.RunAsync("nc", "stream 100000\necho after the stream\nstream 100\nquit\n", "127.0.0.1", throttle.Port.ToString(CultureInfo.InvariantCulture));

        byte[] expected = [.. Pattern(100000), .. "after the stream\n"u8, .. Pattern(100), .. "bye\n"u8];
        Assert.Equal(expected.Length, result.Stdout.Length);
        Assert.True(result.Stdout.AsSpan().SequenceEqual(expected), "output differs: " + Encoding.UTF8.GetString(result.Stdout[^200..]));
    }

    [Fact]
    public async Task A_last_line_without_a_newline_is_answered_before_the_close_and_an_overlong_line_is_refused()
    {
        await using var throttle = await SampleProcess.StartServerAsync("Throttle", log);
        string port = throttle.Port.ToString(CultureInfo.InvariantCulture);

        // socat ends its side after "echo last" (no newline): the line still counts.
        var last = await Tool.RunAsync("socat", "echo first\necho last", "-t", "30", "-", $"TCP:127.0.0.1:{port}");
        Assert.Equal("first\nlast\n", Encoding.UTF8.GetString(last.Stdout));

        var tooLong = await Tool.RunAsync("socat", "echo ok\n" + new string('x', 5000) + "\necho never\n", "-t", "30", "-", $"TCP:127.0.0.1:{port}");
        Assert.Equal("ok\nerror: line longer than 4096 bytes\n", Encoding.UTF8.GetString(tooLong.Stdout));
    }

    [Fact]
    public async Task Input_is_read_no_faster_than_the_configured_rate()
    {
        const int rate = 1000; // bytes per second, and the burst allowed at first
        await using var throttle = await SampleProcess.StartServerAsync("Throttle", log, "--port", "0", "--rate", rate.ToString(CultureInfo.InvariantCulture));

        // Started before the connect, so the server's allowance (which starts when it accepts) has had no more
        // time to grow than this clock shows.
        var clock = Stopwatch.StartNew();
        using var client = await LineClient.ConnectAsync(throttle.Port);
        long sent = 0;
        var report = new StringBuilder();
        for (int i = 0; i < 30; i++)
        {
            // One 100-byte line at a time, the next only after the echo of this one: each is one read of the
            // server, and each echo proves the server has read everything sent so far.
            string text = $"{i:D3} {new string('x', 90)}";
            string line = $"echo {text}\n";
            await client.SendAsync(line);
            sent += line.Length;
            Assert.Equal(text, await client.ReadLineAsync());

            // A token bucket of `rate` bytes per second with one second of burst lets the server start a read only
            // while it has read at most rate * (1 s + elapsed); that read adds one line. Margins are generous: a
            // slow machine only loosens the bound; a pause that does not hold reads back breaks it at once.
            double elapsed = clock.Elapsed.TotalSeconds;
            double allowed = (rate * (1 + elapsed) * 1.1) + (2 * line.Length);
            report.Append(CultureInfo.InvariantCulture, $"{sent} B after {elapsed:0.000} s (at most {allowed:0}); ");
            Assert.True(sent <= allowed, $"the server read {sent} bytes within {elapsed:0.000} s, more than {rate} B/s allows: {report}");
        }

        Assert.Contains($"over {rate} B/s, paused for", throttle.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Input_over_the_rate_is_answered_in_full_and_in_order()
    {
        await using var throttle = await SampleProcess.StartServerAsync("Throttle", log, "--port", "0", "--rate", "2000");
        string input = string.Concat(Enumerable.Range(0, 100).Select(i => $"echo {i:D3} {new string('x', 50)}\n")); // ~6 KB: three times the rate

        var result = await Tool.RunAsync("nc", input + "stats\nquit\n", "127.0.0.1", throttle.Port.ToString(CultureInfo.InvariantCulture));

        string[] lines = result.Text.Split('\n');
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"{i:D3} {new string('x', 50)}"), lines[..100]);
        var stats = Regex.Match(lines[100], @"^read=(\d+) pauses=(\d+) ");
        Assert.True(stats.Success, lines[100]);
        Assert.True(int.Parse(stats.Groups[2].Value, CultureInfo.InvariantCulture) >= 1, "the server should have paused the client: " + lines[100]);
        Assert.Equal("bye", lines[101]);
        Assert.Contains("over 2000 B/s, paused for", throttle.Output, StringComparison.Ordinal);
    }

    private static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = s_line[i % 64];
        }

        return bytes;
    }
}
