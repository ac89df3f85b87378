using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Conserv.Testing;

namespace Conserv.Runtime.Tests;

/// <summary>
/// How frames reach their handlers at the edges: the end of the stream, empty lines, text or bytes by the driver's
/// features and the input format, faulted and async handlers, a close while one runs, the high water mark between
/// frames, a driver replaced while frames wait, a decoder reset after its error. All on the in-memory network, where
/// each send is one read, so every cut falls where the test says.
/// </summary>
public class FramingDeliveryTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>The driver's events in order, frames with their content ("text:one", "data:two", "eof").</summary>
    private static string[] Trace(RecordingDriver driver) => driver.Log.Events
        .Where(e => e.Kind is not ("connect" or "outputEmpty"))
        .Select(e => e.Kind switch
        {
            "text" => "text:" + e.Text,
            "data" => "data:" + Encoding.Latin1.GetString(e.Bytes!),
            "error" => "error:" + e.Error!.Message,
            _ => e.Kind,
        })
        .ToArray();

    [Fact]
    public async Task At_end_of_file_after_whole_lines_no_empty_line_or_error_follows_and_no_buffer_is_held()
    {
        await using var network = new TestNetwork();
        bool? heldAtEnd = null;
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnEndOfFile = s =>
            {
                heldAtEnd = s.HoldsFrameBuffers;
                return default;
            },
        };
        var peer = await network.AcceptAsync(driver);
        peer.Send("one\ntwo\n");
        peer.ShutdownWrite();
        await network.SettleAsync();
        Assert.Equal(new[] { "text:one", "text:two", "eof", "close" }, Trace(driver));
        Assert.False(heldAtEnd);
    }

    [Fact]
    public async Task Lines_paused_resumed_and_then_ended_deliver_the_last_unterminated_line_exactly_and_hold_no_buffer_after_it()
    {
        await using var network = new TestNetwork();
        (bool Held, int Buffered)? atEnd = null;
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnText = (s, line) =>
            {
                if (line.Span.SequenceEqual("x"))
                {
                    s.Pause();
                }

                return default;
            },
            OnEndOfFile = s =>
            {
                atEnd = (s.HoldsFrameBuffers, s.FramingBytesBuffered);
                return default;
            },
        };
        var peer = await network.AcceptAsync(driver);
        peer.Send("x\ny\nz"); // "y\nz" waits in the socket's buffer while paused
        await network.SettleAsync();
        Assert.Equal(new[] { "text:x" }, Trace(driver));

        peer.Socket.Resume(); // "y" is taken from the buffer's middle: "z" is left behind it, not at its start
        await network.SettleAsync();
        Assert.Equal(new[] { "text:x", "text:y" }, Trace(driver));

        peer.ShutdownWrite();
        await network.SettleAsync();
        Assert.Equal(new[] { "text:x", "text:y", "text:z", "eof", "close" }, Trace(driver));
        Assert.Equal((false, 0), atEnd);
    }

    [Theory]
    [InlineData(LineEnding.Lf, "abc\r")]
    [InlineData(LineEnding.CrLf, "abc")]
    [InlineData(LineEnding.Any, "abc")]
    public async Task A_last_unterminated_line_ending_in_cr_keeps_it_only_when_lines_end_with_lf_alone(LineEnding ending, string expected)
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver { Framing = SocketFraming.Lines(ending: ending), Features = SocketDriverFeatures.TextData };
        var peer = await network.AcceptAsync(driver);
        peer.Send("abc\r");
        peer.ShutdownWrite();
        await network.SettleAsync();
        Assert.Equal(new[] { "text:" + expected, "eof", "close" }, Trace(driver));
    }

    [Theory]
    [InlineData(LineEnding.Any, "a\n\nb\r\n\r\n", new[] { "a", "", "b", "" })]
    [InlineData(LineEnding.CrLf, "x\r\n\r\n\ny\r\n", new[] { "x", "", "\ny" })]
    [InlineData(LineEnding.Lf, "a\n\n\r\n", new[] { "a", "", "\r" })]
    public async Task Empty_lines_and_a_line_that_starts_with_lf_arrive_as_they_are(LineEnding ending, string input, string[] expected)
    {
        // Each line is cut from the input left after the one before, so an empty line's end is the input's first byte.
        await using var network = new TestNetwork();
        var driver = new RecordingDriver { Framing = SocketFraming.Lines(ending: ending), Features = SocketDriverFeatures.TextData };
        var peer = await network.AcceptAsync(driver);
        peer.Send(input);
        await network.SettleAsync();
        Assert.Equal(expected.Select(l => "text:" + l), Trace(driver));
    }

    [Fact]
    public async Task An_async_handler_of_the_last_unterminated_line_keeps_its_bytes_while_other_connections_fill_buffers()
    {
        // The last line is delivered at end of file from the socket's own pooled buffer; the handler copies it only after
        // its task resumes, and meanwhile another connection rents a buffer of the same size and fills it.
        await using var network = new TestNetwork();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string? copied = null;
        var first = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            OnData = async (_, frame) =>
            {
                if (frame.Span.SequenceEqual("tail"u8))
                {
                    await gate.Task;
                    copied = Encoding.ASCII.GetString(frame.Span);
                }
            },
        };
        var second = new RecordingDriver { Framing = SocketFraming.Lines() };
        var a = await network.AcceptAsync(first, externalFormatIn: ExternalFormat.Bytes);
        var b = await network.AcceptAsync(second, externalFormatIn: ExternalFormat.Bytes);
        try
        {
            a.Send("head\ntail");
            await network.SettleAsync();
            a.ShutdownWrite();
            await network.SettleAsync();
            b.Send(new string('q', 3000)); // a partial line: b's reader rents a buffer and copies it in
            await network.SettleAsync();
            Assert.True(await network.Loop.OnLoopAsync(() => a.Socket.HoldsFrameBuffers), "the async handler's buffer is held");
        }
        finally
        {
            gate.TrySetResult();
        }

        await network.SettleAsync();
        Assert.Equal("tail", copied);
        Assert.False(await network.Loop.OnLoopAsync(() => a.Socket.HoldsFrameBuffers), "the buffer went back once the handler completed");
    }

    [Fact]
    public async Task An_async_handler_of_a_frame_that_ends_its_read_leaves_no_buffer_held_once_it_completes()
    {
        await using var network = new TestNetwork();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var driver = new RecordingDriver { Framing = SocketFraming.Lines(), OnData = async (_, _) => await gate.Task };
        var peer = await network.AcceptAsync(driver, externalFormatIn: ExternalFormat.Bytes);
        peer.Send("only\n"); // nothing after the frame: no partial frame to keep
        await network.SettleAsync();
        gate.SetResult();
        await network.SettleAsync();
        Assert.Equal(new[] { "data:only" }, Trace(driver));
        Assert.False(await network.Loop.OnLoopAsync(() => peer.Socket.HoldsFrameBuffers));
    }

    [Fact]
    public async Task An_async_frame_handler_holds_the_sockets_reads_and_a_failure_after_its_await_reaches_error_dispatch()
    {
        // While a frame's handler runs, the socket reads nothing more: what the peer sends meanwhile stays in the network
        // (the peer is pushed back on, and no frame is buffered ahead). When the handler fails after its await, the
        // error handlers get the exception, and the connection goes on with the next frame.
        await using var network = new TestNetwork();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            OnData = async (_, frame) =>
            {
                if (frame.Span.SequenceEqual("slow"u8))
                {
                    await gate.Task;
                    throw new CustomTestException("failed after its await");
                }
            },
            OnError = (_, _) => new ValueTask<bool>(true),
        };
        var peer = await network.AcceptAsync(driver, externalFormatIn: ExternalFormat.Bytes);
        peer.Send("slow\n");
        await network.SettleAsync();
        peer.Send("next\n");
        await network.SettleAsync();
        Assert.Equal(5, peer.Socket.BytesRead);
        Assert.Equal(new[] { "data:slow" }, Trace(driver));

        gate.SetResult();
        await network.SettleAsync();
        Assert.Equal(new[] { "data:slow", "error:failed after its await", "data:next" }, Trace(driver));
        Assert.IsType<CustomTestException>(driver.Log.First("error").Error);
        Assert.False(peer.Socket.IsClosed);
    }

    [Fact]
    public async Task A_partial_frame_s_buffer_grows_with_the_frame_not_beyond_a_few_times_its_size()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver { Framing = SocketFraming.Lines(maxLength: 1 << 20) };
        var peer = await network.AcceptAsync(driver, externalFormatIn: ExternalFormat.Bytes);
        int sent = 0;
        for (int read = 0; read < 16; read++)
        {
            peer.Send(new string('a', 4096));
            sent += 4096;
            await network.SettleAsync();
            var (buffered, capacity, held) = await network.Loop.OnLoopAsync(() =>
                (peer.Socket.FramingBytesBuffered, peer.Socket.FramingBufferCapacity, peer.Socket.HoldsFrameBuffers));
            Assert.Equal(sent, buffered);
            Assert.InRange(capacity, sent, 4 * sent);
            Assert.True(held, "a partial frame's buffer is a framing buffer held");
        }

        peer.Send("\n");
        await network.SettleAsync();
        Assert.Equal(65536, Assert.Single(driver.Log.Events, e => e.Kind == "data").Bytes!.Length);
        Assert.Equal(0, await network.Loop.OnLoopAsync(() => peer.Socket.FramingBufferCapacity));
    }

    [Fact]
    public async Task An_async_text_handler_keeps_its_characters_while_other_connections_decode_lines()
    {
        await using var network = new TestNetwork();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var copied = new List<string>();
        var first = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnText = async (_, line) =>
            {
                if (line.Span.SequenceEqual("wait for me"))
                {
                    await gate.Task;
                }

                copied.Add(line.ToString());
            },
        };
        var second = new RecordingDriver { Framing = SocketFraming.Lines(), Features = SocketDriverFeatures.TextData };
        var a = await network.AcceptAsync(first);
        var b = await network.AcceptAsync(second);
        try
        {
            a.Send("wait for me\nnext\n");
            await network.SettleAsync().WaitAsync(Bound); // a handler that blocked the loop would never let it settle
            b.Send("XXXXXXXXXXXXXXXXXXXX\n"); // decoded into the loop's shared characters meanwhile
            await network.SettleAsync().WaitAsync(Bound);
            Assert.Empty(copied); // "next" waits for the async handler
            Assert.True(await network.Loop.OnLoopAsync(() => a.Socket.HoldsFrameBuffers), "the async handler's characters are held");
        }
        finally
        {
            gate.TrySetResult();
        }

        await network.SettleAsync();
        Assert.Equal(new[] { "wait for me", "next" }, copied);
        Assert.False(await network.Loop.OnLoopAsync(() => a.Socket.HoldsFrameBuffers), "the characters went back once the handler completed");
    }

    [Fact]
    public async Task Line_framing_refuses_text_in_an_input_format_where_lf_is_not_one_byte_and_other_framings_decode_it()
    {
        await using var network = new TestNetwork();
        var utf16 = ExternalFormat.FromEncoding(Encoding.Unicode);
        var lines = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnError = (_, _) => new ValueTask<bool>(true),
        };
        var delimited = new RecordingDriver { Framing = SocketFraming.Delimited([0xFF, 0xFF]), Features = SocketDriverFeatures.TextData };
        var a = await network.AcceptAsync(lines, externalFormatIn: utf16);
        var b = await network.AcceptAsync(delimited, externalFormatIn: utf16);
        a.Send(Encoding.Unicode.GetBytes("hi\n"));
        b.Send([.. Encoding.Unicode.GetBytes("héllo"), 0xFF, 0xFF]);
        await network.SettleAsync();

        Assert.Equal(
            new[] { "error:Line framing needs an input format in which '\\n' is one byte of its own (UTF-8, ASCII, Latin-1 or another single-byte encoding); utf-16 is not one. Take the lines as bytes, or use a decoder framing." },
            Trace(lines));
        Assert.IsType<NotSupportedException>(lines.Log.First("error").Error);
        Assert.Equal(new[] { "text:héllo" }, Trace(delimited));
    }

    [Fact]
    public async Task A_byte_driver_gets_bytes_whatever_the_input_format_a_text_only_driver_without_one_gets_an_error_per_frame_and_one_that_takes_neither_gets_nothing()
    {
        await using var network = new TestNetwork();
        var bytes = new RecordingDriver { Framing = SocketFraming.Lines() }; // bytes only
        var textOnly = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnError = (_, _) => new ValueTask<bool>(true),
        };
        var neither = new RecordingDriver { Framing = SocketFraming.Lines(), Features = SocketDriverFeatures.OutputEmpty, OnError = textOnly.OnError };
        var a = await network.AcceptAsync(bytes, externalFormatIn: ExternalFormat.FromEncoding(Encoding.UTF8));
        var b = await network.AcceptAsync(textOnly, externalFormatIn: ExternalFormat.Bytes);
        var c = await network.AcceptAsync(neither, externalFormatIn: ExternalFormat.Bytes);
        a.Send("one\ntwo\n");
        b.Send("one\ntwo\n");
        c.Send("one\ntwo\n");
        await network.SettleAsync();
        Assert.Empty(Trace(neither)); // a driver that takes neither bytes nor text: its frames go nowhere, with no error

        Assert.Equal(new[] { "data:one", "data:two" }, Trace(bytes));
        const string Missing = "error:The driver RecordingDriver takes only text, but the socket's ExternalFormatIn is null (raw bytes). Give the socket an input format, or add a byte handler.";
        Assert.Equal(new[] { Missing, Missing }, Trace(textOnly));
        Assert.All(textOnly.Log.Events.Where(e => e.Kind == "error"), e => Assert.IsType<InvalidOperationException>(e.Error));
        Assert.False(b.Socket.IsClosed);
    }

    [Fact]
    public async Task A_frame_handler_that_returns_a_faulted_task_or_throws_reaches_error_dispatch_and_the_next_frame_still_arrives()
    {
        await using var network = new TestNetwork();
        var lines = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnText = (_, line) => line.Span.SequenceEqual("bad") ? ValueTask.FromException(new IOException("faulted on bad")) : default,
            OnError = (_, _) => new ValueTask<bool>(true),
        };
        var decodedErrors = new List<string>();
        var decodedFrames = new List<string>();
        var decoded = new FramingTests.DecodedFrames(
            (_, frame) =>
            {
                string text = Encoding.ASCII.GetString(frame.Span);
                decodedFrames.Add(text);
                return text switch
                {
                    "bad" => ValueTask.FromException(new IOException("faulted on bad")),
                    "throw" => throw new IOException("thrown on throw"),
                    _ => default,
                };
            },
            (_, e) =>
            {
                decodedErrors.Add(e.Message);
                return new ValueTask<bool>(true);
            });
        var a = await network.AcceptAsync(lines);
        var b = await network.AcceptAsync(decoded, externalFormatIn: ExternalFormat.Bytes);
        a.Send("bad\ngood\n");
        b.Send("3:bad,5:throw,4:good,");
        await network.SettleAsync();

        Assert.Equal(new[] { "text:bad", "error:faulted on bad", "text:good" }, Trace(lines));
        Assert.Equal(new[] { "bad", "throw", "good" }, decodedFrames);
        Assert.Equal(new[] { "faulted on bad", "thrown on throw" }, decodedErrors);
        Assert.False(a.Socket.IsClosed);
        Assert.False(b.Socket.IsClosed);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_close_that_comes_while_an_async_frame_handler_runs_waits_for_it_and_then_closes(bool handlerWrites)
    {
        await using var network = new TestNetwork();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnText = async (s, _) =>
            {
                await gate.Task;
                if (handlerWrites)
                {
                    s.Write("done\n"u8);
                }
            },
        };
        var peer = await network.AcceptAsync(driver);
        try
        {
            peer.Send("work\n");
            await network.SettleAsync();
            peer.Socket.Close();
            await network.SettleAsync();
            Assert.False(peer.Socket.IsClosed);
            Assert.Equal(0, driver.Log.Count("close"));
        }
        finally
        {
            gate.TrySetResult();
        }

        await network.SettleAsync();
        Assert.True(peer.Socket.IsClosed);
        Assert.Equal(handlerWrites ? "done\n" : "", Encoding.ASCII.GetString(await peer.ReceiveToEndAsync()));
    }

    [Fact]
    public async Task Frames_are_delivered_while_output_is_at_the_high_water_mark_and_stop_above_it()
    {
        // The peer's window is full before the frames come, so what their handlers write stays queued in the socket.
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 1 });
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnText = (s, line) =>
            {
                s.Write(line.Span.SequenceEqual("w") ? "!"u8 : "1234"u8);
                return default;
            },
        };
        var peer = await network.AcceptAsync(driver, new TcpSocketOptions { OutputHighWaterMark = 4, OutputLowWaterMark = 0 });
        peer.StopReading();
        peer.Send("w\n"); // its one byte fills the window
        await network.SettleAsync();
        Assert.Equal(0, peer.Socket.BytesQueued);

        peer.Send("a\nb\nc\n");
        await network.SettleAsync();
        Assert.Equal(new[] { "text:w", "text:a", "text:b" }, Trace(driver)); // after "a", 4 queued: at the mark; after "b", 8: above
        Assert.Equal(8, peer.Socket.BytesQueued);

        peer.ResumeReading();
        await network.SettleAsync();
        Assert.Equal(new[] { "text:w", "text:a", "text:b", "text:c" }, Trace(driver));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_driver_replaced_while_frames_wait_behind_one_taken_from_the_buffer_hands_exactly_those_bytes_on(bool nextFrames)
    {
        await using var network = new TestNetwork();
        var second = nextFrames ? new RecordingDriver { Framing = SocketFraming.Lines() } : new RecordingDriver();
        var first = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            OnData = (s, line) =>
            {
                if (line.Span.SequenceEqual("x"u8))
                {
                    s.Pause();
                }
                else if (line.Span.SequenceEqual("switch"u8))
                {
                    s.Driver = second;
                }

                return default;
            },
        };
        var peer = await network.AcceptAsync(first, externalFormatIn: ExternalFormat.Bytes);
        peer.Send("x\nswitch\ncd"); // paused after "x": "switch\ncd" waits in the socket's buffer
        await network.SettleAsync();
        peer.Socket.Resume(); // "switch" is taken from the buffer, "cd" is left behind it
        await network.SettleAsync();
        peer.Send("ef\n");
        await network.SettleAsync();

        Assert.Equal(new[] { "data:x", "data:switch" }, Trace(first));
        Assert.Equal(new[] { nextFrames ? "data:cdef" : "data:cdef\n" }, Trace(second));
    }

    [Fact]
    public async Task A_decoder_that_failed_starts_afresh_whether_its_input_was_in_the_read_or_buffered()
    {
        await using var network = new TestNetwork();
        var driver = new NetstringDriver { HandleErrors = true };
        var peer = await network.AcceptAsync(driver, externalFormatIn: ExternalFormat.Bytes);

        peer.Send("12x"); // fails two digits in: the decoder had parsed a length of 12
        await network.SettleAsync();
        peer.Send("2:ok,");
        await network.SettleAsync();
        peer.Send("1"); // buffered: no frame yet
        await network.SettleAsync();
        peer.Send("2y"); // fails in the buffer
        await network.SettleAsync();
        peer.Send("3:yes,");
        await network.SettleAsync();

        Assert.Equal(new[] { "ok", "yes" }, driver.Frames);
        Assert.Equal(new[] { "'x' in a netstring's length.", "'y' in a netstring's length." }, driver.Errors.Select(e => e.Message));
        Assert.Equal(0, await network.Loop.OnLoopAsync(() => peer.Socket.FramingBytesBuffered));
    }
}
