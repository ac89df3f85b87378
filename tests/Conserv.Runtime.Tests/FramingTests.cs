using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>
/// Framing over real loopback sockets: frames cut at every point arrive whole, frames in one read arrive one by one,
/// limits hold, errors lose nothing, and delivery stops and resumes between buffered frames.
/// </summary>
public class FramingTests
{
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);

    [Fact]
    public async Task Lines_cut_at_every_point_arrive_whole_including_inside_a_multibyte_character_and_inside_crlf()
    {
        var message = Encoding.UTF8.GetBytes("héllo wörld\r\n€uro\nlast ✓\r\n");
        string[] expected = { "héllo wörld", "€uro", "last ✓" };
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { Framing = SocketFraming.Lines(), Features = SocketDriverFeatures.TextData };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, externalFormatIn: StrictUtf8);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var side = await driver.Log.SocketOfFirstAsync("connection");

        long sent = 0;
        for (int cut = 1; cut < message.Length; cut++)
        {
            sent = await SendInTwoReadsAsync(loop, peer, side, message, cut, sent);
            await driver.Log.WaitForAsync("text", count: expected.Length * cut);
        }

        var texts = driver.Log.Events.Where(e => e.Kind == "text").Select(e => e.Text).ToArray();
        Assert.Equal(Enumerable.Range(1, message.Length - 1).SelectMany(_ => expected), texts);
        Assert.Equal(0, driver.Log.Count("error"));
    }

    [Fact]
    public async Task Frames_back_to_back_in_one_read_arrive_one_per_call_in_order()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { Framing = SocketFraming.Lines(), Features = SocketDriverFeatures.ByteData };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, externalFormatIn: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var lines = Enumerable.Range(0, 500).Select(i => $"line {i} " + new string('x', i % 37)).ToArray();
        await peer.SendAllAsync(Encoding.ASCII.GetBytes(string.Concat(lines.Select(l => l + "\n"))));

        await driver.Log.WaitForAsync("data", count: lines.Length);
        var got = driver.Log.Events.Where(e => e.Kind == "data").Select(e => Encoding.ASCII.GetString(e.Bytes!)).ToArray();
        Assert.Equal(lines, got);
    }

    [Theory]
    [InlineData(LineEnding.Any, "a\r\nb\nc\rd\n", new[] { "a", "b", "c\rd" })]
    [InlineData(LineEnding.Lf, "a\r\nb\n", new[] { "a\r", "b" })]
    [InlineData(LineEnding.CrLf, "a\nb\r\nc\r\n", new[] { "a\nb", "c" })]
    public async Task Each_line_ending_cuts_where_it_says(LineEnding ending, string input, string[] expected)
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { Framing = SocketFraming.Lines(ending: ending), Features = SocketDriverFeatures.TextData };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes(input));
        await driver.Log.WaitForAsync("text", count: expected.Length);
        await loop.Loop.Barrier();
        Assert.Equal(expected, driver.Log.Events.Where(e => e.Kind == "text").Select(e => e.Text).ToArray());
    }

    [Fact]
    public async Task A_line_of_the_maximum_length_arrives_one_over_is_refused_and_the_next_line_still_arrives()
    {
        const int max = 100;
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(maxLength: max),
            Features = SocketDriverFeatures.TextData,
            OnError = (_, e) => new ValueTask<bool>(e is FrameTooLongException),
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var side = await driver.Log.SocketOfFirstAsync("connection");

        string exact = new('a', max), over = new('b', max + 1), huge = new('c', 10 * max);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes($"{exact}\r\n{over}\r\nnext\n"));
        await driver.Log.WaitForAsync("text", count: 2);

        // An endless line is refused before the socket buffers it all, and the stream is in step again after it.
        long before = await loop.OnLoop(() => side.BytesRead);
        for (int i = 0; i < 10; i++)
        {
            await peer.SendAllAsync(Encoding.ASCII.GetBytes(huge));
        }

        await peer.SendAllAsync(Encoding.ASCII.GetBytes("\nafter\n"));
        await driver.Log.WaitForAsync("text", count: 3);
        await loop.Loop.Barrier();

        Assert.Equal(new[] { exact, "next", "after" }, driver.Log.Events.Where(e => e.Kind == "text").Select(e => e.Text).ToArray());
        var errors = driver.Log.Events.Where(e => e.Kind == "error").Select(e => e.Error).ToArray();
        Assert.Equal(2, errors.Length);
        Assert.All(errors, e => Assert.Equal(max, Assert.IsType<FrameTooLongException>(e).MaxLength));
        Assert.False(side.IsClosed);
        Assert.True(await loop.OnLoop(() => side.BytesRead) - before > 10 * huge.Length);
    }

    [Fact]
    public async Task One_byte_over_the_maximum_is_refused_at_once_unless_it_may_be_the_cr_of_a_crlf()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(maxLength: 10),
            Features = SocketDriverFeatures.TextData,
            OnError = (_, e) => new ValueTask<bool>(e is FrameTooLongException),
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var side = await driver.Log.SocketOfFirstAsync("connection");

        // Ten bytes and a '\r': a line at the limit may follow. Nothing is decided until the '\n'.
        await peer.SendAllAsync("0123456789\r"u8.ToArray());
        await Poll.UntilAsync(loop.Loop, () => side.BytesRead == 11, "the read");
        await loop.Loop.Barrier();
        Assert.Equal(0, driver.Log.Count("error") + driver.Log.Count("text"));
        await peer.SendAllAsync("\n"u8.ToArray());
        await driver.Log.WaitForAsync("text");
        Assert.Equal("0123456789", driver.Log.First("text").Text);

        // Eleven bytes, the last not a '\r': too long already, with no further byte sent.
        await peer.SendAllAsync("0123456789x"u8.ToArray());
        await driver.Log.WaitForAsync("error");
        Assert.IsType<FrameTooLongException>(driver.Log.First("error").Error);
    }

    [Fact]
    public async Task An_unhandled_frame_too_long_drops_the_connection()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { Framing = SocketFraming.Lines(maxLength: 10), Features = SocketDriverFeatures.TextData };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes(new string('x', 100)));
        await driver.Log.WaitForAsync("close");
        Assert.IsType<FrameTooLongException>(driver.Log.First("close").Error);
    }

    [Fact]
    public async Task A_handler_that_throws_in_the_middle_of_a_batch_loses_no_later_frame()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnText = (s, line) =>
            {
                if (line.Span.StartsWith("BOGUS"))
                {
                    throw new CustomTestException("unknown command");
                }

                s.Write(Encoding.ASCII.GetBytes("+" + line.ToString() + "\n"));
                return default;
            },
            OnError = (s, e) =>
            {
                s.Write(Encoding.ASCII.GetBytes("-ERR " + e.Message + "\n"));
                return new ValueTask<bool>(e is CustomTestException);
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync("SET a 1\nGET a\nBOGUS x\nGET b\n"u8.ToArray());

        var expected = "+SET a 1\n+GET a\n-ERR unknown command\n+GET b\n";
        Assert.Equal(expected, Encoding.ASCII.GetString(await peer.ReadExactlyAsync(expected.Length)));
    }

    [Fact]
    public async Task A_strict_decoding_error_fails_only_its_own_line()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnError = (_, e) => new ValueTask<bool>(e is DecoderFallbackException),
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, externalFormatIn: StrictUtf8);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync([.. "one\n"u8, 0xC3, 0x28, .. "\nthree\n"u8]);

        await driver.Log.WaitForAsync("text", count: 2);
        await loop.Loop.Barrier();
        Assert.Equal(new[] { "one", "three" }, driver.Log.Events.Where(e => e.Kind == "text").Select(e => e.Text).ToArray());
        Assert.IsType<DecoderFallbackException>(Assert.Single(driver.Log.Events, e => e.Kind == "error").Error);
    }

    [Fact]
    public async Task Pause_stops_delivery_between_frames_already_read_and_resume_continues_with_the_next()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnText = (s, line) =>
            {
                if (line.Span.SequenceEqual("pause"))
                {
                    s.Pause();
                }

                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var side = await driver.Log.SocketOfFirstAsync("connection");
        await peer.SendAllAsync("1\npause\n3\n4\n"u8.ToArray());
        await Poll.UntilAsync(loop.Loop, () => side.BytesRead == 12, "the whole batch to be read");
        await driver.Log.WaitForAsync("text", count: 2);

        // Everything is read, but the frames after the pause wait, however long.
        for (int i = 0; i < 5; i++)
        {
            await loop.Loop.Barrier();
        }

        Assert.Equal(2, driver.Log.Count("text"));

        // Resumed from off the loop: nothing new arrives from the peer, so the loop itself must deliver the rest.
        side.Resume();
        await driver.Log.WaitForAsync("text", count: 4);
        Assert.Equal(new[] { "1", "pause", "3", "4" }, driver.Log.Events.Where(e => e.Kind == "text").Select(e => e.Text).ToArray());
    }

    [Fact]
    public async Task An_async_handler_holds_back_the_next_frame_until_its_task_completes()
    {
        await using var loop = new TestLoop();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new List<string>();
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.ByteData,
            OnData = async (s, line) =>
            {
                string text = Encoding.ASCII.GetString(line.Span);
                if (text == "wait")
                {
                    await gate.Task;
                }

                seen.Add(Encoding.ASCII.GetString(line.Span)); // the frame's bytes are still intact after the await
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, externalFormatIn: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var side = await driver.Log.SocketOfFirstAsync("connection");
        var input = "a\nwait\nc\nd\n"u8.ToArray();
        await peer.SendAllAsync(input);
        await Poll.UntilAsync(loop.Loop, () => side.BytesRead == input.Length, "the batch to be read");
        await driver.Log.WaitForAsync("data", count: 2);
        await loop.Loop.Barrier();
        Assert.Equal(2, driver.Log.Count("data"));

        // Meanwhile the loop reads new input into its shared buffer: the held frame must not be overwritten.
        using var other = await Peer.ConnectAsync(server.Port!.Value);
        await other.SendAllAsync(Encoding.ASCII.GetBytes(new string('z', 1000) + "\n"));
        await driver.Log.WaitForAsync("data", count: 3);

        gate.SetResult();
        await driver.Log.WaitForAsync("data", count: 5);
        await loop.Loop.Barrier();
        Assert.Equal(new[] { "a", new string('z', 1000), "wait", "c", "d" }, seen);
    }

    [Fact]
    public async Task Output_above_the_high_water_mark_stops_delivery_between_frames_and_draining_resumes_it()
    {
        await using var loop = new TestLoop();
        var reply = Peer.Pattern(48 * 1024, seed: 3);
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.ByteData,
            OnData = (s, _) =>
            {
                s.Write(reply);
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, externalFormatIn: ExternalFormat.Bytes);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await peer.ConnectAsync(System.Net.IPAddress.Loopback, server.Port!.Value);
        var side = await driver.Log.SocketOfFirstAsync("connection");

        // 200 requests in one write: replying to all at once would queue 9.6 MB.
        const int requests = 200;
        await peer.SendAllAsync(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("q\n", requests))));
        await Poll.UntilAsync(loop.Loop, () => !side.IsWritable, "the socket to stop being writable");
        for (int i = 0; i < 5; i++)
        {
            await loop.Loop.Barrier();
        }

        int delivered = driver.Log.Count("data");
        Assert.InRange(delivered, 1, requests - 1);
        Assert.InRange(await loop.OnLoop(() => side.BytesQueued), 0, TcpSocketOptions.DefaultOutputHighWaterMark + reply.Length);

        // The peer reads everything: every request is answered, in order, byte for byte.
        var all = await peer.ReadExactlyAsync(requests * reply.Length);
        for (int i = 0; i < requests; i++)
        {
            Assert.True(all.AsSpan(i * reply.Length, reply.Length).SequenceEqual(reply));
        }

        Assert.Equal(requests, driver.Log.Count("data"));
    }

    [Fact]
    public async Task At_end_of_file_a_last_unterminated_line_is_delivered_before_the_end_of_file_event()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { Framing = SocketFraming.Lines(), Features = SocketDriverFeatures.TextData };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var side = await driver.Log.SocketOfFirstAsync("connection");
        await peer.SendAllAsync("one\ntwo\r"u8.ToArray());
        peer.Shutdown(SocketShutdown.Send);
        await driver.Log.WaitForAsync("close");
        Assert.Equal(new[] { "text", "text", "eof", "close" }, driver.Log.KindsOf(side).Where(k => k != "connection").ToArray());
        Assert.Equal(new[] { "one", "two" }, driver.Log.Events.Where(e => e.Kind == "text").Select(e => e.Text).ToArray());
    }

    [Theory]
    [InlineData(1, ByteOrder.BigEndian, false)]
    [InlineData(2, ByteOrder.BigEndian, false)]
    [InlineData(2, ByteOrder.LittleEndian, true)]
    [InlineData(4, ByteOrder.BigEndian, true)]
    [InlineData(4, ByteOrder.LittleEndian, false)]
    [InlineData(8, ByteOrder.BigEndian, false)]
    [InlineData(8, ByteOrder.LittleEndian, true)]
    public async Task Length_prefixed_frames_cut_at_every_point_including_inside_the_prefix_arrive_whole(int prefix, ByteOrder order, bool includesPrefix)
    {
        var frames = new[] { Peer.Pattern(7, 1), Array.Empty<byte>(), Peer.Pattern(200, 2) };
        var stream = frames.SelectMany(f => Prefixed(f, prefix, order, includesPrefix)).ToArray();
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { Framing = SocketFraming.LengthPrefixed(prefix, order, includesPrefix, maxLength: 255) };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, externalFormatIn: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var side = await driver.Log.SocketOfFirstAsync("connection");

        long sent = 0;
        var cuts = Enumerable.Range(1, prefix + 2).Concat(new[] { stream.Length / 2, stream.Length - 1 }).Distinct().ToArray();
        foreach (int cut in cuts)
        {
            sent = await SendInTwoReadsAsync(loop, peer, side, stream, cut, sent);
        }

        await driver.Log.WaitForAsync("data", count: frames.Length * cuts.Length);
        var got = driver.Log.Events.Where(e => e.Kind == "data").Select(e => e.Bytes!).ToArray();
        for (int i = 0; i < got.Length; i++)
        {
            Assert.Equal(frames[i % frames.Length], got[i]);
        }
    }

    [Fact]
    public async Task A_length_prefix_over_the_maximum_is_refused_at_once_and_the_frame_after_it_arrives()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.LengthPrefixed(4, maxLength: 1000),
            OnError = (_, e) => new ValueTask<bool>(e is FrameTooLongException),
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, externalFormatIn: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);

        // The header arrives alone: refused before any of the 1,001 bytes.
        await peer.SendAllAsync(Prefixed(new byte[1001], 4, ByteOrder.BigEndian, false)[..4]);
        await driver.Log.WaitForAsync("error");
        var error = Assert.IsType<FrameTooLongException>(driver.Log.First("error").Error);
        Assert.Equal(1001, error.Length);
        Assert.Equal("A frame of 1001 bytes is longer than the maximum of 1000 bytes.", error.Message);

        await peer.SendAllAsync([.. new byte[1001], .. Prefixed(Peer.Pattern(1000, 5), 4, ByteOrder.BigEndian, false)]);
        await driver.Log.WaitForAsync("data");
        Assert.Equal(Peer.Pattern(1000, 5), driver.Log.First("data").Bytes);
    }

    [Fact]
    public async Task The_stream_ending_inside_a_length_prefixed_frame_is_an_end_of_stream_error()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { Framing = SocketFraming.LengthPrefixed(2), OnError = (_, _) => new ValueTask<bool>(true) };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, externalFormatIn: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync([0, 10, 1, 2, 3]);
        peer.Shutdown(SocketShutdown.Send);
        await driver.Log.WaitForAsync("close");
        var error = Assert.IsType<EndOfStreamException>(driver.Log.First("error").Error);
        Assert.Equal("The stream ended inside a frame: the 5 bytes received of it were discarded.", error.Message);
        Assert.Equal(0, driver.Log.Count("data"));
        // Handled, the error leaves the end of file to its own event: it does not end the connection itself.
        Assert.Equal(new[] { "error", "eof", "close" }, driver.Log.Events.Select(e => e.Kind).Where(k => k is "error" or "eof" or "close"));
        Assert.Null(driver.Log.First("close").Error);
    }

    [Fact]
    public async Task Delimited_frames_with_a_delimiter_split_across_reads_arrive_whole()
    {
        var delimiter = "\r\n\r\n"u8.ToArray();
        var stream = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\n\r\n"u8.ToArray();
        string[] expected = { "GET / HTTP/1.1\r\nHost: a", "GET /b HTTP/1.1" };
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { Framing = SocketFraming.Delimited(delimiter), Features = SocketDriverFeatures.TextData };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var side = await driver.Log.SocketOfFirstAsync("connection");

        long sent = 0;
        for (int cut = 1; cut < stream.Length; cut++)
        {
            sent = await SendInTwoReadsAsync(loop, peer, side, stream, cut, sent);
        }

        await driver.Log.WaitForAsync("text", count: expected.Length * (stream.Length - 1));
        Assert.Equal(Enumerable.Range(1, stream.Length - 1).SelectMany(_ => expected), driver.Log.Events.Where(e => e.Kind == "text").Select(e => e.Text));
    }

    [Theory]
    [InlineData(LineEnding.Lf)]
    [InlineData(LineEnding.CrLf)]
    public async Task An_over_long_line_is_refused_once_and_skipped_to_its_end_holding_none_of_its_bytes(LineEnding ending)
    {
        // On the in-memory network each send is one read, so the cuts fall exactly where written here.
        await using var network = new Conserv.Testing.TestNetwork();
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(maxLength: 8, ending: ending),
            Features = SocketDriverFeatures.TextData,
            OnError = (_, e) => new ValueTask<bool>(e is FrameTooLongException),
        };
        var peer = await network.AcceptAsync(driver);
        string end = ending == LineEnding.Lf ? "\n" : "\r\n";
        async Task<(int Errors, string Lines, int Buffered)> SendAsync(string bytes)
        {
            peer.Send(Encoding.ASCII.GetBytes(bytes));
            await network.SettleAsync();
            return (driver.Log.Count("error"), string.Join("|", driver.Log.Events.Where(e => e.Kind == "text").Select(e => e.Text)),
                await network.Loop.OnLoopAsync(() => peer.Socket.FramingBytesBuffered));
        }

        Assert.Equal((0, "12345678", 0), await SendAsync("12345678" + end)); // the maximum: a line
        Assert.Equal((1, "12345678", 0), await SendAsync("1234567890")); // over, no end in sight: refused, nothing kept
        Assert.Equal((1, "12345678", 0), await SendAsync(new string('x', 5000))); // skipped as it comes
        Assert.Equal((1, "12345678|after", 0), await SendAsync(end + "after" + end)); // its end first in a read
        Assert.Equal((2, "12345678|after", 0), await SendAsync("123456789abc")); // another: refused in its turn
        Assert.Equal((2, "12345678|after|next", 0), await SendAsync("de" + end + "next" + end)); // its end inside a read
        Assert.All(driver.Log.Events.Where(e => e.Kind == "error"), e => Assert.Equal("A frame is longer than the maximum of 8 bytes.", Assert.IsType<FrameTooLongException>(e.Error).Message));
        Assert.False(peer.Socket.IsClosed);
    }

    [Fact]
    public async Task A_delimited_frame_that_outgrows_the_maximum_is_refused_once_and_skipped_to_its_delimiter_even_one_split_across_reads()
    {
        // On the in-memory network each send is one read, so the cuts fall exactly where written here.
        await using var network = new Conserv.Testing.TestNetwork();
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Delimited("END"u8.ToArray(), maxLength: 8),
            Features = SocketDriverFeatures.TextData,
            OnError = (_, e) => new ValueTask<bool>(e is FrameTooLongException),
        };
        var peer = await network.AcceptAsync(driver);
        async Task<(int Errors, string Texts)> SendAsync(string bytes)
        {
            peer.Send(Encoding.ASCII.GetBytes(bytes));
            await network.SettleAsync();
            return (driver.Log.Count("error"), string.Join("|", driver.Log.Events.Where(e => e.Kind == "text").Select(e => e.Text)));
        }

        Task<int> BufferedAsync() => network.Loop.OnLoopAsync(() => peer.Socket.FramingBytesBuffered);

        Assert.Equal((0, "12345678"), await SendAsync("12345678END")); // the maximum: a frame
        Assert.Equal(1, (await SendAsync("123456789END")).Errors); // one over, delimiter in sight: refused
        Assert.Equal(1, (await SendAsync("abcdefghij")).Errors); // ten: their last two might start a delimiter after eight
        Assert.Equal(2, (await SendAsync("k")).Errors); // eleven, no delimiter: over whatever comes, refused at once
        Assert.Equal(2, await BufferedAsync()); // "jk" kept: the skipped frame's bytes are not held
        Assert.Equal(2, (await SendAsync("xxEN")).Errors); // skipped, keeping "EN": perhaps the start of the delimiter
        Assert.Equal(2, await BufferedAsync());
        Assert.Equal(2, (await SendAsync(new string('x', 5000) + "EN")).Errors); // however long the skipped frame grows
        Assert.Equal(2, await BufferedAsync());
        Assert.Equal((2, "12345678"), await SendAsync("Dnext")); // "END" split across reads ends the skipped frame
        Assert.Equal((2, "12345678|next"), await SendAsync("END"));

        var errors = driver.Log.Events.Where(e => e.Kind == "error").Select(e => Assert.IsType<FrameTooLongException>(e.Error)).ToArray();
        Assert.All(errors, e => Assert.Null(e.Length)); // no header told the length
        Assert.All(errors, e => Assert.Equal("A frame is longer than the maximum of 8 bytes.", e.Message));
        Assert.False(peer.Socket.IsClosed);
    }

    [Fact]
    public async Task A_decoder_of_the_drivers_own_gets_its_frames_delivered_one_per_call()
    {
        await using var loop = new TestLoop();
        var driver = new NetstringDriver();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, externalFormatIn: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var stream = "5:hello,0:,11:hello world,"u8.ToArray();

        // One byte per send: the decoder sees the input grow byte by byte and must not re-parse it.
        foreach (byte b in stream)
        {
            await peer.SendAllAsync([b]);
        }

        await peer.SendAllAsync("3:abc,"u8.ToArray());
        await Poll.UntilAsync(loop.Loop, () => driver.Frames.Count == 4, "four frames");
        Assert.Equal(new[] { "hello", "", "hello world", "abc" }, driver.Frames);
        Assert.True(driver.BytesExamined <= stream.Length + 6, $"the decoder examined {driver.BytesExamined} bytes of {stream.Length + 6}");
    }

    [Fact]
    public async Task A_decoder_error_goes_to_error_dispatch_and_a_handled_one_lets_the_next_read_be_framed_afresh()
    {
        await using var loop = new TestLoop();
        var driver = new NetstringDriver { HandleErrors = true };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, externalFormatIn: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync("x:junk"u8.ToArray());
        await Poll.UntilAsync(loop.Loop, () => driver.Errors.Count == 1, "the decoding error");
        Assert.IsType<InvalidDataException>(driver.Errors[0]);

        await peer.SendAllAsync("2:ok,"u8.ToArray());
        await Poll.UntilAsync(loop.Loop, () => driver.Frames.Count == 1, "the next frame");
        Assert.Equal("ok", driver.Frames[0]);
    }

    [Fact]
    public async Task A_decoder_framing_on_a_driver_that_takes_no_frames_is_a_fatal_error_that_names_what_is_missing()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Decoder<NetstringDecoder, ReadOnlyMemory<byte>>(),
            OnError = (_, _) => ValueTask.FromResult(true), // handled, and still dropped: the socket cannot read
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync("2:ok,"u8.ToArray());

        await driver.Log.WaitForAsync("close");
        var error = Assert.IsType<InvalidOperationException>(driver.Log.First("error").Error);
        Assert.Equal("The driver RecordingDriver has a decoder framing of ReadOnlyMemory`1 frames but does not implement IFrameDriver<ReadOnlyMemory`1>.", error.Message);
        Assert.Equal(0, driver.Log.Count("data"));
        Assert.Same(error, driver.Log.First("close").Error);
    }

    [Fact]
    public async Task A_decoder_that_returns_a_length_outside_its_input_fails_its_input_with_an_error_that_says_so()
    {
        await using var network = new Conserv.Testing.TestNetwork();
        var driver = new CountedFrames(maxLength: 16);
        var peer = await network.AcceptAsync(driver, externalFormatIn: ExternalFormat.Bytes);

        peer.Send([CountedDecoder.ReturnMinusOne, 9, 9]);
        await network.SettleAsync();
        peer.Send([CountedDecoder.ReturnPastInput, 9]);
        await network.SettleAsync();
        peer.Send([2, (byte)'o', (byte)'k']); // a frame that fills its input exactly: a valid length
        await network.SettleAsync();

        Assert.Equal(
            new[]
            {
                "InvalidOperationException: CountedDecoder.Decode returned -1 for an input of 3 bytes: it must return 0 or the length of the frame at the start of the input.",
                "InvalidOperationException: CountedDecoder.Decode returned 3 for an input of 2 bytes: it must return 0 or the length of the frame at the start of the input.",
            },
            driver.Errors);
        Assert.Equal(new[] { "ok" }, driver.Frames); // the failed inputs were discarded, not framed again
        Assert.False(peer.Socket.IsClosed);
    }

    [Fact]
    public async Task A_decoded_frame_of_the_maximum_arrives_one_over_is_refused_and_input_over_it_without_a_frame_is_discarded()
    {
        await using var network = new Conserv.Testing.TestNetwork();
        var driver = new CountedFrames(maxLength: 4);
        var peer = await network.AcceptAsync(driver, externalFormatIn: ExternalFormat.Bytes);

        peer.Send([3, (byte)'a', (byte)'b', (byte)'c']); // four bytes: the maximum
        await network.SettleAsync();
        peer.Send([4, (byte)'a', (byte)'b', (byte)'c', (byte)'d', 1, (byte)'x']); // five: refused, and the frame after it arrives
        await network.SettleAsync();
        Assert.Equal(new[] { "abc", "x" }, driver.Frames);
        Assert.Equal(new[] { "FrameTooLongException: A frame of 5 bytes is longer than the maximum of 4 bytes." }, driver.Errors);

        peer.Send([9, (byte)'a', (byte)'b', (byte)'c']); // four bytes of an unfinished frame: still within the maximum
        await network.SettleAsync();
        Assert.Single(driver.Errors);
        Assert.Equal(4, await network.Loop.OnLoopAsync(() => peer.Socket.FramingBytesBuffered));
        peer.Send([(byte)'d']); // five without a frame: refused, and what was buffered is dropped
        await network.SettleAsync();
        Assert.Equal("FrameTooLongException: A frame is longer than the maximum of 4 bytes.", driver.Errors[^1]);
        Assert.Equal(0, await network.Loop.OnLoopAsync(() => peer.Socket.FramingBytesBuffered));
        peer.Send([1, (byte)'y']);
        await network.SettleAsync();
        Assert.Equal(new[] { "abc", "x", "y" }, driver.Frames);

        peer.Send([3, (byte)'z']); // and the stream ends two bytes into a frame
        peer.ShutdownWrite();
        await network.SettleAsync();
        Assert.Equal("EndOfStreamException: The stream ended inside a frame: the 2 bytes received of it were discarded.", driver.Errors[^1]);
        Assert.Equal(3, driver.Errors.Count);
        Assert.Equal(1, driver.EndsOfFile); // the truncated frame's error did not end the connection at once
    }

    [Fact]
    public async Task A_decoder_factory_that_returns_null_is_a_fatal_error_that_says_so()
    {
        await using var network = new Conserv.Testing.TestNetwork();
        var driver = new CountedFrames(maxLength: 16, factory: () => null!);
        var peer = await network.AcceptAsync(driver, externalFormatIn: ExternalFormat.Bytes);
        peer.Send([1, (byte)'a']);
        await network.SettleAsync();
        Assert.Equal(new[] { "InvalidOperationException: The decoder factory returned null." }, driver.Errors);
        Assert.Empty(driver.Frames);
        Assert.True(peer.Socket.IsClosed);
    }

    [Fact]
    public async Task Input_beyond_a_decoders_maximum_without_a_frame_is_refused()
    {
        await using var loop = new TestLoop();
        var driver = new NetstringDriver();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, externalFormatIn: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("99999:" + new string('a', NetstringDriver.MaxLength)));
        await Poll.UntilAsync(loop.Loop, () => driver.Closed is not null, "the close");
        Assert.IsType<FrameTooLongException>(driver.Closed);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_driver_replaced_in_the_middle_of_a_frame_hands_its_buffered_bytes_to_the_next_one(bool nextFrames)
    {
        // The next driver frames lines too, or takes bytes: then the buffered bytes come first, joined to the next
        // read in one data event.
        await using var loop = new TestLoop();
        var second = nextFrames ? new RecordingDriver { Framing = SocketFraming.Lines(), Features = SocketDriverFeatures.TextData } : new RecordingDriver();
        var first = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnText = (s, line) =>
            {
                if (line.Span.SequenceEqual("switch"))
                {
                    s.Driver = second;
                }

                return default;
            },
        };
        await using var server = TcpServer.Listen(first, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var side = await first.Log.SocketOfFirstAsync("connection");
        await peer.SendAllAsync("switch\nhal"u8.ToArray());
        await Poll.UntilAsync(loop.Loop, () => side.BytesRead == 10, "the first read");
        await peer.SendAllAsync("f\nrest\n"u8.ToArray());
        if (nextFrames)
        {
            await second.Log.WaitForAsync("text", count: 2);
            Assert.Equal(new[] { "half", "rest" }, second.Log.Events.Where(e => e.Kind == "text").Select(e => e.Text).ToArray());
        }
        else
        {
            await second.Log.WaitForBytesAsync(10);
            var data = Assert.Single(second.Log.Events, e => e.Kind == "data");
            Assert.Equal("half\nrest\n", Encoding.ASCII.GetString(data.Bytes!));
        }
    }

    [Theory]
    [InlineData("lines")]
    [InlineData("prefix")]
    [InlineData("delimited")]
    [InlineData("decoder")]
    public async Task Every_framing_stops_between_buffered_frames_for_a_pause_and_an_async_handler_and_resumes_in_order(string kind)
    {
        await using var loop = new TestLoop();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new List<string>();
        async ValueTask Frame(TcpSocket socket, ReadOnlyMemory<byte> frame)
        {
            string text = Encoding.ASCII.GetString(frame.Span);
            if (text == "pause")
            {
                socket.Pause();
            }
            else if (text == "wait")
            {
                await gate.Task;
            }

            seen.Add(Encoding.ASCII.GetString(frame.Span));
        }

        ISocketEventDriver driver = kind == "decoder"
            ? new DecodedFrames(Frame)
            : new RecordingDriver
            {
                Framing = kind switch
                {
                    "lines" => SocketFraming.Lines(),
                    "prefix" => SocketFraming.LengthPrefixed(2),
                    _ => SocketFraming.Delimited("||"u8.ToArray()),
                },
                OnData = Frame,
            };
        string[] frames = { "a", "pause", "b", "wait", "c", "d" };
        byte[] stream = frames.SelectMany(f => Encode(kind, Encoding.ASCII.GetBytes(f))).ToArray();
        await using var server = TcpServer.Listen(new GiveDriver(driver), port: 0, loop: loop.Loop, externalFormatIn: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(stream);
        await Poll.UntilAsync(loop.Loop, () => seen.Count == 2, "the frames up to the pause");
        var side = await loop.OnLoop(() => server.Clients.Single());
        await Poll.UntilAsync(loop.Loop, () => side.BytesRead == stream.Length, "the whole stream to be read");
        await loop.Loop.Barrier();
        Assert.Equal(new[] { "a", "pause" }, await loop.OnLoop(() => seen.ToArray()));

        side.Resume();
        await Poll.UntilAsync(loop.Loop, () => seen.Count == 3, "the frame before the async one");
        await loop.Loop.Barrier();
        Assert.Equal(new[] { "a", "pause", "b" }, await loop.OnLoop(() => seen.ToArray()));

        gate.SetResult();
        await Poll.UntilAsync(loop.Loop, () => seen.Count == frames.Length, "every frame");
        Assert.Equal(frames, await loop.OnLoop(() => seen.ToArray()));
    }

    private static byte[] Encode(string kind, byte[] frame) => kind switch
    {
        "lines" => [.. frame, (byte)'\n'],
        "prefix" => Prefixed(frame, 2, ByteOrder.BigEndian, false),
        "delimited" => [.. frame, .. "||"u8],
        _ => [.. Encoding.ASCII.GetBytes($"{frame.Length}:"), .. frame, (byte)','],
    };

    /// <summary>A server driver that gives each client <paramref name="driver"/>.</summary>
    private sealed class GiveDriver(ISocketEventDriver driver) : IServerEventDriver
    {
        public ValueTask OnServerConnection(TcpServer server, TcpSocket client)
        {
            client.Driver = driver;
            return default;
        }
    }

    /// <summary>Netstring frames through a decoder, to a delegate.</summary>
    internal sealed class DecodedFrames(Func<TcpSocket, ReadOnlyMemory<byte>, ValueTask> onFrame, Func<TcpSocket, Exception, ValueTask<bool>>? onError = null)
        : IFrameDriver<ReadOnlyMemory<byte>>
    {
        public SocketFraming Framing { get; } = SocketFraming.Decoder<NetstringDecoder, ReadOnlyMemory<byte>>();

        public ValueTask OnSocketFrame(TcpSocket socket, ReadOnlyMemory<byte> frame) => onFrame(socket, frame);

        public ValueTask<bool> OnSocketError(TcpSocket socket, Exception error) => onError?.Invoke(socket, error) ?? new ValueTask<bool>(false);
    }

    [Fact]
    public void Bad_framing_arguments_are_refused_naming_the_argument()
    {
        Assert.Equal("maxLength", Assert.Throws<ArgumentOutOfRangeException>(() => SocketFraming.Lines(maxLength: 0)).ParamName);
        Assert.Equal("maxLength", Assert.Throws<ArgumentOutOfRangeException>(() => SocketFraming.LengthPrefixed(4, maxLength: SocketFraming.LargestMaxLength + 1)).ParamName);
        Assert.Equal(SocketFraming.LargestMaxLength, SocketFraming.Decoder<string>(() => null!, SocketFraming.LargestMaxLength).MaxLength);
        Assert.Equal("ending", Assert.Throws<ArgumentOutOfRangeException>(() => SocketFraming.Lines(ending: (LineEnding)7)).ParamName);
        Assert.Equal("prefixLength", Assert.Throws<ArgumentOutOfRangeException>(() => SocketFraming.LengthPrefixed(3)).ParamName);
        Assert.Equal("byteOrder", Assert.Throws<ArgumentOutOfRangeException>(() => SocketFraming.LengthPrefixed(4, (ByteOrder)9)).ParamName);
        Assert.Equal("delimiter", Assert.Throws<ArgumentException>(() => SocketFraming.Delimited(Array.Empty<byte>())).ParamName);
        Assert.Equal("delimiter", Assert.Throws<ArgumentNullException>(() => SocketFraming.Delimited(null!)).ParamName);
        Assert.Equal("createDecoder", Assert.Throws<ArgumentNullException>(() => SocketFraming.Decoder<string>(null!)).ParamName);

        Assert.Equal(1, SocketFraming.Lines(maxLength: 1).MaxLength); // the bounds themselves are allowed
        Assert.Equal(SocketFraming.LargestMaxLength, SocketFraming.Delimited([0], SocketFraming.LargestMaxLength).MaxLength);
        Assert.StartsWith("The maximum frame length must be between 1 and 1073741824 bytes (1 GiB).", Assert.Throws<ArgumentOutOfRangeException>(() => SocketFraming.Delimited([0], -1)).Message);
        Assert.StartsWith("The length prefix must be 1, 2, 4 or 8 bytes.", Assert.Throws<ArgumentOutOfRangeException>(() => SocketFraming.LengthPrefixed(16)).Message);
        Assert.StartsWith("Not a defined ByteOrder.", Assert.Throws<ArgumentOutOfRangeException>(() => SocketFraming.LengthPrefixed(2, (ByteOrder)2)).Message);
        Assert.StartsWith("Not a defined LineEnding.", Assert.Throws<ArgumentOutOfRangeException>(() => SocketFraming.Lines(ending: (LineEnding)3)).Message);
        Assert.StartsWith("The delimiter must have at least one byte.", Assert.Throws<ArgumentException>(() => SocketFraming.Delimited([])).Message);
    }

    [Fact]
    public async Task A_length_prefix_that_counts_itself_may_not_say_less_than_itself_and_one_past_what_a_long_holds_is_reported_as_the_largest_long()
    {
        await using var network = new Conserv.Testing.TestNetwork();
        var errors = new List<Exception>();
        var frames = new List<string>();
        RecordingDriver Driver(int prefix, bool includesPrefix) => new()
        {
            Framing = SocketFraming.LengthPrefixed(prefix, ByteOrder.BigEndian, includesPrefix, maxLength: 16),
            OnData = (_, frame) =>
            {
                frames.Add(Encoding.ASCII.GetString(frame.Span));
                return default;
            },
            OnError = (_, e) =>
            {
                errors.Add(e);
                return new ValueTask<bool>(true);
            },
        };

        var counting = await network.AcceptAsync(Driver(4, includesPrefix: true), externalFormatIn: ExternalFormat.Bytes);
        counting.Send([0, 0]);
        await network.SettleAsync();
        counting.Send([0, 3]); // three: less than the prefix's own four bytes (found in the socket's buffer)
        await network.SettleAsync();
        counting.Send([0, 0, 0, 4, 0, 0, 0, 6, (byte)'o', (byte)'k']); // four: an empty frame; six: "ok"
        await network.SettleAsync();
        Assert.Equal("A frame's length prefix says 3 bytes, less than the 4 bytes of the prefix it includes.", Assert.IsType<InvalidDataException>(Assert.Single(errors)).Message);
        Assert.Equal(new[] { "", "ok" }, frames);

        var huge = await network.AcceptAsync(Driver(8, includesPrefix: false), externalFormatIn: ExternalFormat.Bytes);
        huge.Send([0, 0, 0, 0, 0, 0, 0, 17]); // one over the maximum: its length is told
        await network.SettleAsync();
        huge.Send(new byte[17]);
        huge.Send([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]); // more than a long holds
        await network.SettleAsync();
        var tooLong = errors.Skip(1).Select(e => Assert.IsType<FrameTooLongException>(e)).ToArray();
        Assert.Equal(new long?[] { 17, long.MaxValue }, tooLong.Select(e => e.Length));
        Assert.Equal($"A frame of {long.MaxValue} bytes is longer than the maximum of 16 bytes.", tooLong[1].Message);
        Assert.Equal(new[] { "", "ok" }, frames); // the 17 bytes were skipped, not framed
        huge.Send(new byte[100]); // skipped too: the frame it declared has not ended
        await network.SettleAsync();
        Assert.Equal(3, errors.Count);
        Assert.Equal(new[] { "", "ok" }, frames);
        Assert.False(huge.Socket.IsClosed);
    }

    /// <summary>Sends <paramref name="message"/> as two writes cut at <paramref name="cut"/>, the second only once the server has read the first.</summary>
    internal static async Task<long> SendInTwoReadsAsync(TestLoop loop, Socket peer, TcpSocket side, byte[] message, int cut, long sentBefore)
    {
        await peer.SendAllAsync(message[..cut]);
        await Poll.UntilAsync(loop.Loop, () => side.BytesRead == sentBefore + cut, $"the server to read the first {cut} bytes");
        await peer.SendAllAsync(message[cut..]);
        await Poll.UntilAsync(loop.Loop, () => side.BytesRead == sentBefore + message.Length, "the server to read the rest");
        return sentBefore + message.Length;
    }

    internal static byte[] Prefixed(byte[] frame, int prefix, ByteOrder order, bool includesPrefix)
    {
        ulong length = (ulong)frame.Length + (includesPrefix ? (ulong)prefix : 0);
        var header = new byte[prefix];
        for (int i = 0; i < prefix; i++)
        {
            int shift = 8 * (order == ByteOrder.BigEndian ? prefix - 1 - i : i);
            header[i] = (byte)(length >> shift);
        }

        return [.. header, .. frame];
    }
}

/// <summary>Netstrings ("5:hello,"): a decoder that remembers how far it parsed, so it examines each byte once.</summary>
internal sealed class NetstringDecoder : IFrameDecoder<ReadOnlyMemory<byte>>
{
    private int _parsed;   // digits parsed so far
    private int _length;
    private bool _inPayload;

    public long Examined { get; private set; }

    public int Decode(ReadOnlyMemory<byte> input, out ReadOnlyMemory<byte> frame)
    {
        frame = default;
        var span = input.Span;
        while (!_inPayload)
        {
            if (_parsed >= span.Length)
            {
                return 0;
            }

            byte b = span[_parsed];
            Examined++;
            if (b == (byte)':')
            {
                if (_parsed == 0)
                {
                    throw new InvalidDataException("A netstring has no length.");
                }

                _inPayload = true;
                break;
            }

            if (b is < (byte)'0' or > (byte)'9')
            {
                throw new InvalidDataException($"'{(char)b}' in a netstring's length.");
            }

            _length = checked((_length * 10) + (b - '0'));
            _parsed++;
        }

        int total = _parsed + 1 + _length + 1;
        if (span.Length < total)
        {
            return 0;
        }

        Examined += _length + 1;
        if (span[total - 1] != (byte)',')
        {
            throw new InvalidDataException("A netstring does not end with ','.");
        }

        frame = input.Slice(_parsed + 1, _length);
        Reset();
        return total;
    }

    public void Reset()
    {
        _parsed = 0;
        _length = 0;
        _inPayload = false;
    }
}

internal sealed class NetstringDriver : IFrameDriver<ReadOnlyMemory<byte>>
{
    public const int MaxLength = 4096;

    private static readonly NetstringDecoder s_probe = new();
    private readonly List<NetstringDecoder> _decoders = new();

    public NetstringDriver() =>
        Framing = SocketFraming.Decoder<ReadOnlyMemory<byte>>(() =>
        {
            var decoder = new NetstringDecoder();
            _decoders.Add(decoder);
            return decoder;
        }, MaxLength);

    public SocketFraming Framing { get; }

    public bool HandleErrors { get; init; }

    public List<string> Frames { get; } = new();

    public List<Exception> Errors { get; } = new();

    public Exception? Closed { get; private set; }

    public long BytesExamined => _decoders.Sum(d => d.Examined) + s_probe.Examined;

    public ValueTask OnSocketFrame(TcpSocket socket, ReadOnlyMemory<byte> frame)
    {
        Frames.Add(Encoding.ASCII.GetString(frame.Span));
        return default;
    }

    ValueTask<bool> ISocketEventDriver.OnSocketError(TcpSocket socket, Exception error)
    {
        Errors.Add(error);
        return new ValueTask<bool>(HandleErrors);
    }

    void ISocketEventDriver.OnSocketClose(TcpSocket socket, Exception? cause) => Closed = cause ?? new Exception("closed without a cause");
}

/// <summary>Frames of a count byte and that many bytes; two count bytes make the decoder return a length outside its input.</summary>
internal sealed class CountedDecoder : IFrameDecoder<ReadOnlyMemory<byte>>
{
    public const byte ReturnMinusOne = 0xFF;
    public const byte ReturnPastInput = 0xFE;

    public int Decode(ReadOnlyMemory<byte> input, out ReadOnlyMemory<byte> frame)
    {
        frame = default;
        if (input.IsEmpty)
        {
            return 0;
        }

        int count = input.Span[0];
        if (count == ReturnMinusOne)
        {
            return -1;
        }

        if (count == ReturnPastInput)
        {
            return input.Length + 1;
        }

        if (input.Length < 1 + count)
        {
            return 0;
        }

        frame = input.Slice(1, count);
        return 1 + count;
    }

    public void Reset()
    {
    }
}

/// <summary>A driver of <see cref="CountedDecoder"/> frames that records frames and errors (as "Type: message") and handles every error.</summary>
internal sealed class CountedFrames : IFrameDriver<ReadOnlyMemory<byte>>
{
    public CountedFrames(int maxLength, Func<IFrameDecoder<ReadOnlyMemory<byte>>>? factory = null) =>
        Framing = SocketFraming.Decoder(factory ?? (() => new CountedDecoder()), maxLength);

    public SocketFraming Framing { get; }

    public List<string> Frames { get; } = new();

    public List<string> Errors { get; } = new();

    public int EndsOfFile { get; private set; }

    public ValueTask OnSocketFrame(TcpSocket socket, ReadOnlyMemory<byte> frame)
    {
        Frames.Add(Encoding.ASCII.GetString(frame.Span));
        return default;
    }

    public ValueTask OnSocketEndOfFile(TcpSocket socket)
    {
        EndsOfFile++;
        return default;
    }

    public ValueTask<bool> OnSocketError(TcpSocket socket, Exception error)
    {
        Errors.Add($"{error.GetType().Name}: {error.Message}");
        return new ValueTask<bool>(true);
    }
}
