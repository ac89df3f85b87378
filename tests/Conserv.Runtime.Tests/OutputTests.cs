using System;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

public class OutputTests
{
    [Fact]
    public async Task OutputEmpty_fires_once_after_a_large_write_drains_to_a_slow_reader()
    {
        var payload = Peer.Pattern(16 * 1024 * 1024, 1);
        long queuedAfterWrite = -1;
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Write(payload);
                queuedAfterWrite = c.BytesQueued;
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, externalFormatIn: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");
        await server.Loop.Barrier();

        // The reader has not read yet: the kernel cannot hold 16 MiB, so output is still queued.
        Assert.True(queuedAfterWrite > 0, "the write should not fit in the kernel's buffers");
        Assert.Equal(0, driver.Log.Count("outputEmpty"));

        var received = await peer.ReadExactlyAsync(payload.Length);
        Assert.True(received.AsSpan().SequenceEqual(payload));
        await driver.Log.WaitForAsync("outputEmpty");
        await server.Loop.Barrier();
        Assert.Equal(1, driver.Log.Count("outputEmpty"));
        Assert.Equal(payload.Length, socket.BytesWritten);
        Assert.Equal(0, socket.BytesQueued);
    }

    [Fact]
    public async Task OutputEmpty_never_fires_at_start_up_or_for_an_empty_write_and_coalesces_writes_of_one_handler()
    {
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Write(ReadOnlySpan<byte>.Empty);
                c.Write(string.Empty);
                return default;
            },
            OnData = (s, d) =>
            {
                if (d.Span[0] == (byte)'w')
                {
                    s.Write(Encoding.ASCII.GetBytes("a"));
                    s.Write("b");
                    s.WriteByte((byte)'c');
                }

                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[] { (byte)'n' });
        await driver.Log.WaitForAsync("data");
        await server.Loop.Barrier();
        Assert.Equal(0, driver.Log.Count("outputEmpty"));

        await peer.SendAllAsync(new byte[] { (byte)'w' });
        Assert.Equal("abc", Encoding.ASCII.GetString(await peer.ReadExactlyAsync(3)));
        await driver.Log.WaitForAsync("outputEmpty");
        await server.Loop.Barrier();
        Assert.Equal(1, driver.Log.Count("outputEmpty"));
        Assert.Equal(new[] { "connection", "data", "data", "outputEmpty" }, driver.Log.KindsOf(driver.Log.First("connection").Socket!));
    }

    [Fact]
    public async Task OutputEmpty_lets_a_driver_stream_a_large_response_chunk_by_chunk()
    {
        const int chunks = 200;
        var chunk = Peer.Pattern(64 * 1024, 3);
        int sent = 0;
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Write(chunk);
                sent++;
                return default;
            },
            OnOutputEmpty = s =>
            {
                if (sent < chunks)
                {
                    s.Write(chunk);
                    sent++;
                }
                else
                {
                    s.Close();
                }

                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var (data, reset) = await peer.ReadToEndAsync();
        Assert.False(reset);
        Assert.Equal(chunks * chunk.Length, data.Length);
        for (int i = 0; i < chunks; i++)
        {
            Assert.True(data.AsSpan(i * chunk.Length, chunk.Length).SequenceEqual(chunk));
        }
    }

    [Fact]
    public async Task Close_right_after_the_last_write_in_OutputEmpty_sends_everything_then_ends_the_stream()
    {
        // The kernel takes each small chunk at once, so output-empty runs again at once; the Close() made
        // right after the last write must still complete (found by the Throttle sample).
        const int chunks = 64;
        var chunk = Peer.Pattern(1024, 5);
        int left = chunks;
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Write(chunk);
                left--;
                return default;
            },
            OnOutputEmpty = s =>
            {
                if (left > 0)
                {
                    s.Write(chunk);
                    if (--left == 0)
                    {
                        s.Close();
                    }
                }

                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var (data, reset) = await peer.ReadToEndAsync();
        Assert.False(reset);
        Assert.Equal(chunks * chunk.Length, data.Length);
        await driver.Log.WaitForAsync("close");
    }

    [Fact]
    public async Task A_multibyte_utf8_character_split_across_two_writes_arrives_whole()
    {
        var driver = new RecordingDriver { Features = SocketDriverFeatures.TextData };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);

        var bytes = Encoding.UTF8.GetBytes("a\u20AC\U0001F600b"); // a € 😀 b: 1 + 3 + 4 + 1 bytes
        // First write ends inside the 4-byte emoji; the server must see 'a' and '€' only.
        await peer.SendAllAsync(bytes[..6]);
        await driver.Log.WaitForTextAsync("a\u20AC");
        var socket = driver.Log.First("text").Socket!;
        await driver.Log.WaitForAsync(_ => socket.BytesRead >= 6, "6 bytes read");
        await peer.SendAllAsync(bytes[6..]);
        await driver.Log.WaitForTextAsync("b");

        Assert.Equal("a\u20AC\U0001F600b", driver.Log.TextOf());
        Assert.DoesNotContain('\uFFFD', driver.Log.TextOf());
    }

    [Fact]
    public async Task Writing_text_with_no_output_format_throws_at_the_call()
    {
        Exception? onLoop = null;
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                onLoop = Record.Exception(() => c.Write("text"));
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, externalFormatOut: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");
        await server.Loop.Barrier();

        Assert.IsType<InvalidOperationException>(onLoop);
        Assert.Throws<InvalidOperationException>(() => socket.Write("off the loop"));
        Assert.Throws<InvalidOperationException>(() => socket.Write('c'));
        Assert.Throws<InvalidOperationException>(() => socket.Write($"n={42}"));
        Assert.Throws<InvalidOperationException>(() => socket.Out.Write("via Out"));

        // Bytes still go through.
        socket.Write(new byte[] { 1, 2 });
        Assert.Equal(new byte[] { 1, 2 }, await peer.ReadExactlyAsync(2));
        Assert.Equal(0, driver.Log.Count("error"));
    }

    [Fact]
    public async Task Interpolated_writes_Out_and_AsStream_produce_the_right_bytes()
    {
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                int n = 42;
                string? none = null;
                c.Write($"n={n} [{"r",3}|{"l",-3}] {none}{n:X4}\n");
                c.Out.Write("out ");
                c.Out.Write('é');
                c.Out.WriteLine(7);
                using (var stream = c.AsStream())
                {
                    stream.Write(Encoding.ASCII.GetBytes("stream"));
                    stream.WriteByte((byte)'!');
                    Assert.False(stream.CanRead);
                    Assert.True(stream.CanWrite);
                }

                c.Write('\u20AC');
                c.Write("\U0001F600");
                c.WriteByte(0xFF);
                c.Close();
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var (data, _) = await peer.ReadToEndAsync();

        var expected = Encoding.UTF8.GetBytes($"n=42 [  r|l  ] 002A\nout é7{Environment.NewLine}stream!\u20AC\U0001F600").Append((byte)0xFF).ToArray();
        Assert.Equal(expected, data);
        Assert.Equal(0, driver.Log.Count("error"));
    }

    [Fact]
    public async Task A_surrogate_pair_written_in_two_char_writes_is_encoded_as_one_character()
    {
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                var pair = "\U0001F600";
                c.Write(pair[0]);
                c.Write(pair[1]);
                c.Close();
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var (data, _) = await peer.ReadToEndAsync();
        Assert.Equal(Encoding.UTF8.GetBytes("\U0001F600"), data);
    }

    [Fact]
    public async Task Bytes_counters_match_what_was_sent_on_both_sides()
    {
        var payload = Peer.Pattern(300_000, 5);
        var serverDriver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(serverDriver, port: 0);
        var clientDriver = new RecordingDriver { OnConnect = s => { s.Write(payload); return default; } };
        var client = TcpSocket.Connect(clientDriver, "127.0.0.1", server.Port!.Value);
        await clientDriver.Log.WaitForBytesAsync(payload.Length);
        await client.Loop.Barrier();
        await server.Loop.Barrier();

        var accepted = serverDriver.Log.First("connection").Socket!;
        Assert.Equal(payload, clientDriver.Log.BytesOf(client));
        Assert.Equal(payload.Length, client.BytesWritten);
        Assert.Equal(payload.Length, client.BytesRead);
        Assert.Equal(payload.Length, accepted.BytesRead);
        Assert.Equal(payload.Length, accepted.BytesWritten);
        Assert.Equal(serverDriver.Log.BytesOf(accepted).Length, accepted.BytesRead);
        await client.DisposeAsync().WithTimeout("client close");
    }

    [Fact]
    public async Task Writes_from_another_thread_are_queued_to_the_loop_in_order()
    {
        var driver = new RecordingDriver();
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");
        var expected = new MemoryStream();
        for (int i = 0; i < 100; i++)
        {
            var line = Encoding.UTF8.GetBytes($"line {i}\n");
            expected.Write(line);
            if (i % 2 == 0)
            {
                socket.Write(line);
            }
            else
            {
                socket.Write($"line {i}\n");
            }
        }

        socket.Close();
        var (data, _) = await peer.ReadToEndAsync();
        Assert.Equal(expected.ToArray(), data);
    }

    [Fact]
    public async Task An_output_format_set_from_another_thread_applies_to_the_next_write()
    {
        var driver = new RecordingDriver();
        await using var server = TcpServer.Listen(driver, port: 0, externalFormatOut: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");

        socket.ExternalFormatOut = Encoding.Unicode;
        Assert.Same(Encoding.Unicode, socket.ExternalFormatOut);
        socket.Write("hi");
        Assert.Equal(Encoding.Unicode.GetBytes("hi"), await peer.ReadExactlyAsync(4));

        socket.ExternalFormatIn = Encoding.Latin1;
        Assert.Same(Encoding.Latin1, socket.ExternalFormatIn);
    }

    [Fact]
    public async Task Changing_the_output_format_on_the_loop_applies_to_the_next_write()
    {
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Write("aé");
                c.ExternalFormatOut = Encoding.Latin1;
                c.Write("é");
                c.Close();
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var (data, _) = await peer.ReadToEndAsync();
        Assert.Equal(new byte[] { (byte)'a', 0xC3, 0xA9, 0xE9 }, data);
    }

    [Fact]
    public async Task A_write_an_output_empty_handler_makes_to_another_socket_after_a_batch_of_events_is_sent_in_that_turn()
    {
        // A's echo waits for the end of the loop's batch of events; once it is sent, A's output-empty handler writes
        // to B. Nothing else will happen on the loop: B's write must go out in that same turn, not wait for the next
        // event.
        await using var loop = new TestLoop();
        TcpSocket? b = null;
        var driver = new RecordingDriver
        {
            Features = SocketDriverFeatures.ByteData | SocketDriverFeatures.OutputEmpty,
            OnData = (s, d) =>
            {
                s.Write(d.Span);
                return default;
            },
            OnOutputEmpty = s =>
            {
                if (!ReferenceEquals(s, b))
                {
                    b!.Write("A's reply left\n"u8);
                }

                return default;
            },
        };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peerB = await Peer.ConnectAsync(server.Port!.Value);
        b = await driver.Log.SocketOfFirstAsync("connection");
        using var peerA = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);

        await peerA.SendAllAsync("ping"u8.ToArray());
        Assert.Equal("ping", Encoding.ASCII.GetString(await peerA.ReadExactlyAsync(4)));
        Assert.Equal("A's reply left\n", Encoding.ASCII.GetString(await peerB.ReadExactlyAsync(15)));
    }

    [Fact]
    public async Task An_output_empty_handler_that_always_writes_again_lets_the_loop_serve_its_other_sockets_meanwhile()
    {
        // A producer that writes its next piece from output-empty, to a peer that takes everything at once, would
        // otherwise hold the loop until it runs out of pieces: after a bounded number of rounds the loop serves its
        // other sockets, and the producer continues in the next turn.
        const int Pieces = 20_000;
        await using var loop = new TestLoop();
        System.Net.Sockets.Socket? echoPeer = null;
        int written = 0;
        int writtenWhenOtherServed = -1;
        var producer = new RecordingDriver
        {
            Features = SocketDriverFeatures.ByteData | SocketDriverFeatures.OutputEmpty,
            OnOutputEmpty = s =>
            {
                if (written == 5)
                {
                    echoPeer!.Send(new byte[] { 7 }); // on loopback the byte is in the echo socket's queue when this returns
                }

                if (written < Pieces)
                {
                    written++;
                    s.WriteByte((byte)'x');
                }

                return default;
            },
        };
        var echo = new RecordingDriver
        {
            OnData = (s, d) =>
            {
                writtenWhenOtherServed = written;
                s.Write(d.Span);
                return default;
            },
        };
        var producerServer = TcpServer.Listen(producer, port: 0, loop: loop.Loop);
        var echoServer = TcpServer.Listen(echo, port: 0, loop: loop.Loop);
        using var producerPeer = await Peer.ConnectAsync(producerServer.Port!.Value);
        echoPeer = await Peer.ConnectAsync(echoServer.Port!.Value);
        using var echoPeerOwner = echoPeer;
        var producerSocket = await producer.Log.SocketOfFirstAsync("connection");
        await echo.Log.WaitForAsync("connection");

        loop.Loop.Post(() => producerSocket.WriteByte((byte)'x')); // starts the stream
        Assert.Equal(new byte[] { 7 }, await echoPeer.ReadExactlyAsync(1));
        Assert.Equal(Pieces + 1, (await producerPeer.ReadExactlyAsync(Pieces + 1)).Length);
        await loop.Loop.Barrier();
        Assert.InRange(writtenWhenOtherServed, 6, Pieces - 1); // served while the producer still had pieces to write
    }

    [Fact]
    public async Task A_handler_that_writes_and_then_lets_go_of_the_driver_leaves_the_socket_open_for_the_next_driver()
    {
        // Output-empty goes to the driver of the moment: with none, nobody is told, and nothing else changes.
        TcpSocket? accepted = null;
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                accepted = s;
                s.Write("bye"u8);
                s.Driver = null;
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[] { 1 });
        Assert.Equal("bye", Encoding.ASCII.GetString(await peer.ReadExactlyAsync(3)));
        await server.Loop.Barrier();
        Assert.False(accepted!.IsClosed);
        Assert.Equal(0, driver.Log.Count("outputEmpty"));

        accepted.Driver = RecordingDriver.Echo();
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("again"));
        Assert.Equal("again", Encoding.ASCII.GetString(await peer.ReadExactlyAsync(5)));
        Assert.Equal(0, driver.Log.Count("close"));
    }
}
