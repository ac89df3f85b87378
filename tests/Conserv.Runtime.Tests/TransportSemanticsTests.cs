using System;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>
/// One set of socket semantics, run over the kernel (loopback TCP) and over the in-memory transport of
/// Conserv.Testing: a driver cannot tell them apart, so a unit test with <c>TestNetwork</c> tells the truth about
/// the driver on a real network.
/// </summary>
public class TransportSemanticsTests
{
    public static TheoryData<string> Transports => new() { "kernel", "memory" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Bytes_arrive_as_data_events_in_order_and_writes_reach_the_peer(string transport)
    {
        await using var network = TransportUnderTest.Create(transport);
        var driver = RecordingDriver.Echo();
        using var peer = await network.AcceptAsync(driver);

        var sent = Peer.Pattern(100_000, seed: 3);
        for (int offset = 0; offset < sent.Length; offset += 10_000)
        {
            peer.Send(sent[offset..(offset + 10_000)]);
        }

        Assert.Equal(sent, await peer.ReceiveAsync(sent.Length));
        Assert.Equal(sent, driver.Log.BytesOf(peer.Socket));
        Assert.Equal(sent.Length, await network.OnLoop(() => peer.Socket.BytesRead));
        Assert.Single(driver.Log.Events.Select(e => e.ThreadId).Distinct()); // every event on the loop thread
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_half_close_raises_end_of_file_and_what_its_handler_writes_still_reaches_the_peer(string transport)
    {
        await using var network = TransportUnderTest.Create(transport);
        var driver = new RecordingDriver
        {
            OnEndOfFile = s =>
            {
                s.Write("bye"u8);
                return default;
            },
        };
        using var peer = await network.AcceptAsync(driver);
        peer.Send("hello"u8.ToArray());
        peer.ShutdownWrite();

        var (data, reset) = await peer.ReceiveToEndAsync();
        Assert.Equal("bye", Encoding.ASCII.GetString(data));
        Assert.False(reset);
        await driver.Log.WaitForAsync("close");
        Assert.Equal(new[] { "data", "eof", "close" }, driver.Log.KindsOf(peer.Socket).Where(k => k != "outputEmpty").ToArray().Collapse());
        Assert.Null(driver.Log.First("close").Error);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_reset_reaches_the_error_handler_as_ConnectionReset_and_then_the_socket_closes(string transport)
    {
        await using var network = TransportUnderTest.Create(transport);
        var driver = RecordingDriver.Echo();
        using var peer = await network.AcceptAsync(driver);
        peer.Send("x"u8.ToArray());
        Assert.Equal("x"u8.ToArray(), await peer.ReceiveAsync(1));

        peer.Reset();

        await driver.Log.WaitForAsync("close");
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.Equal(new[] { "data", "error", "close" }, driver.Log.KindsOf(peer.Socket).Where(k => k != "outputEmpty").ToArray().Collapse());
        Assert.Same(error, driver.Log.First("close").Error);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Close_in_a_handler_sends_what_was_queued_then_ends_the_stream(string transport)
    {
        await using var network = TransportUnderTest.Create(transport);
        var reply = Peer.Pattern(300_000, seed: 5); // more than one write takes
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write(reply);
                s.Close();
                s.Write("!"u8); // written in the same handler after Close: still sent
                return default;
            },
        };
        using var peer = await network.AcceptAsync(driver);
        peer.Send("go"u8.ToArray());

        var (data, reset) = await peer.ReceiveToEndAsync();
        Assert.False(reset);
        Assert.Equal(reply.Concat("!"u8.ToArray()).ToArray(), data);
        await driver.Log.WaitForAsync("close");
        Assert.Null(driver.Log.First("close").Error);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_paused_socket_gets_no_data_until_it_resumes_and_then_gets_all_of_it(string transport)
    {
        await using var network = TransportUnderTest.Create(transport);
        var driver = new RecordingDriver
        {
            OnData = (s, d) =>
            {
                s.Pause();
                s.Write(d.Span);
                return default;
            },
        };
        using var peer = await network.AcceptAsync(driver);
        peer.Send("first"u8.ToArray());
        Assert.Equal("first"u8.ToArray(), await peer.ReceiveAsync(5)); // the handler ran and paused
        peer.Send("second"u8.ToArray());
        await network.ElapseAsync(TimeSpan.FromSeconds(1));

        // The echo of "first" is a round trip after the pause, so "second" arrived at a paused socket.
        await network.OnLoop(() => true);
        Assert.Equal(1, driver.Log.Count("data"));
        Assert.True(await network.OnLoop(() => peer.Socket.IsPaused));

        await network.OnLoop(() => { peer.Socket.Resume(); return true; });
        Assert.Equal("second"u8.ToArray(), await peer.ReceiveAsync(6));
        Assert.Equal("firstsecond"u8.ToArray(), driver.Log.BytesOf(peer.Socket));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_silent_connection_gets_an_IdleTimeoutException_and_is_closed_with_a_reset(string transport)
    {
        await using var network = TransportUnderTest.Create(transport);
        var driver = RecordingDriver.Echo();
        var timeout = TimeSpan.FromMilliseconds(300);
        using var peer = await network.AcceptAsync(driver, new TcpSocketOptions { IdleTimeout = timeout });

        await network.ElapseAsync(timeout);

        await driver.Log.WaitForAsync("close");
        var idle = Assert.IsType<IdleTimeoutException>(driver.Log.First("error").Error);
        Assert.Equal(timeout, idle.Timeout);
        Assert.Same(idle, driver.Log.First("close").Error);
        var (data, _) = await peer.ReceiveToEndAsync(); // the peer sees its connection end
        Assert.Empty(data);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_handled_error_keeps_the_socket_and_an_unhandled_one_closes_it(string transport)
    {
        await using var network = TransportUnderTest.Create(transport);
        var driver = new RecordingDriver
        {
            OnData = (s, d) => d.Span[0] == (byte)'!' ? throw new InvalidOperationException("bad") : throw new CustomTestException("handled"),
            OnError = (_, e) => new ValueTask<bool>(e is CustomTestException),
        };
        using var peer = await network.AcceptAsync(driver);

        peer.Send("a"u8.ToArray());
        await driver.Log.WaitForAsync("error");
        Assert.False(await network.OnLoop(() => peer.Socket.IsClosed));

        peer.Send("!"u8.ToArray());
        await driver.Log.WaitForAsync("close");
        Assert.IsType<InvalidOperationException>(driver.Log.First("close").Error);
        Assert.Equal(new[] { "data", "error", "data", "error", "close" }, driver.Log.KindsOf(peer.Socket).Where(k => k != "outputEmpty"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Lines_split_across_reads_arrive_whole_and_a_character_cut_in_two_is_decoded_once(string transport)
    {
        await using var network = TransportUnderTest.Create(transport);
        var driver = new RecordingDriver { Framing = SocketFraming.Lines(), Features = SocketDriverFeatures.TextData };
        using var peer = await network.AcceptAsync(driver);
        var bytes = Encoding.UTF8.GetBytes("héllo wörld\nsecond €\n");

        // Byte by byte, so every line and every multi-byte character is cut across reads.
        foreach (byte b in bytes)
        {
            peer.Send([b]);
            await network.OnLoop(() => true);
        }

        await driver.Log.WaitForAsync("text", 2);
        Assert.Equal(new[] { "héllo wörld", "second €" }, driver.Log.Events.Where(e => e.Kind == "text").Select(e => e.Text).ToArray());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_async_data_handler_holds_the_next_data_event_until_it_completes(string transport)
    {
        await using var network = TransportUnderTest.Create(transport);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int running = 0, overlapped = 0;
        var driver = new RecordingDriver
        {
            OnData = async (s, d) =>
            {
                overlapped += Interlocked.Increment(ref running) > 1 ? 1 : 0;
                if (d.Span[0] == (byte)'1')
                {
                    await gate.Task; // the first message's handler waits; the second must not start meanwhile
                }

                s.Write(d.Span);
                Interlocked.Decrement(ref running);
            },
        };
        using var peer = await network.AcceptAsync(driver);
        peer.Send("1"u8.ToArray());
        await driver.Log.WaitForAsync("data");
        peer.Send("2"u8.ToArray());
        await network.ElapseAsync(TimeSpan.FromSeconds(1));
        await network.OnLoop(() => true);
        Assert.Equal(1, driver.Log.Count("data"));

        gate.SetResult();
        Assert.Equal("12"u8.ToArray(), await peer.ReceiveAsync(2));
        Assert.Equal(0, overlapped);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Abort_discards_queued_output_and_closes_at_once_with_the_close_event_last(string transport)
    {
        await using var network = TransportUnderTest.Create(transport);
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write("never sent"u8);
                s.Abort();
                return default;
            },
        };
        using var peer = await network.AcceptAsync(driver);
        peer.Send("x"u8.ToArray());

        var (data, _) = await peer.ReceiveToEndAsync();
        Assert.Empty(data);
        await driver.Log.WaitForAsync("close");
        Assert.Equal("close", driver.Log.KindsOf(peer.Socket).Last());
        Assert.Equal(1, driver.Log.Count("close"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Writes_from_another_thread_reach_the_peer_in_order(string transport)
    {
        await using var network = TransportUnderTest.Create(transport);
        var driver = new RecordingDriver();
        using var peer = await network.AcceptAsync(driver);

        await Task.Run(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                peer.Socket.Write([(byte)i]); // off the loop thread: queued to the loop in order
            }
        });

        var received = await peer.ReceiveAsync(100);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (byte)i).ToArray(), received);
    }
}
