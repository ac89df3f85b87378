using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>Everything one loop callback writes to a socket goes to the kernel in one gathered write when it returns.</summary>
public class CoalescedWriteTests
{
    [Fact]
    public async Task Replies_to_connections_readable_together_go_out_once_every_one_of_them_was_handled()
    {
        await using var loop = new TestLoop();
        var serverSides = new List<TcpSocket>();
        var writesBeforeEachHandler = new List<long>();
        var driver = new RecordingDriver
        {
            OnData = (s, data) =>
            {
                writesBeforeEachHandler.Add(serverSides.Sum(side => side.GatheredWrites));
                s.Write(data.Span); // an echo: one reply per request
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        var peers = new List<Socket>();
        for (int i = 0; i < 3; i++)
        {
            peers.Add(await Peer.ConnectAsync(server.Port!.Value));
        }

        try
        {
            await driver.Log.WaitForAsync("connection", 3);
            serverSides.AddRange(driver.Log.Events.Where(e => e.Kind == "connection").Select(e => e.Socket!));

            // Hold the loop until the server's kernel has every request (each peer's send queue acknowledged), so
            // that one epoll_wait finds the three connections readable together.
            using (await loop.HoldAsync())
            {
                for (int i = 0; i < peers.Count; i++)
                {
                    await peers[i].SendAllAsync(Encoding.ASCII.GetBytes($"request {i}"));
                    await peers[i].WaitUntilAcknowledgedAsync();
                }
            }

            for (int i = 0; i < peers.Count; i++)
            {
                Assert.Equal($"request {i}", Encoding.ASCII.GetString(await peers[i].ReadExactlyAsync(9)));
            }

            // No reply had gone to the kernel while the batch was being handled; then one write per connection.
            Assert.Equal(new long[] { 0, 0, 0 }, await loop.OnLoop(() => writesBeforeEachHandler.ToArray()));
            Assert.Equal(new long[] { 1, 1, 1 }, await loop.OnLoop(() => serverSides.Select(side => side.GatheredWrites).ToArray()));
        }
        finally
        {
            foreach (var peer in peers)
            {
                peer.Dispose();
            }
        }
    }

    [Fact]
    public async Task Many_writes_in_one_handler_go_out_in_one_gathered_write_when_it_returns()
    {
        await using var loop = new TestLoop();
        long writtenDuringHandler = -1;
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                for (int i = 0; i < 16; i++)
                {
                    s.Write(Encoding.ASCII.GetBytes($"piece {i:00}\n"));
                }

                writtenDuringHandler = s.BytesWritten; // nothing has gone to the kernel yet
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var serverSide = await driver.Log.SocketOfFirstAsync("connection");
        long before = await loop.OnLoop(() => serverSide.GatheredWrites);

        await peer.SendAllAsync("go"u8.ToArray());
        var reply = await peer.ReadExactlyAsync(16 * 9);

        Assert.Equal(string.Concat(Enumerable.Range(0, 16).Select(i => $"piece {i:00}\n")), Encoding.ASCII.GetString(reply));
        Assert.Equal(0, writtenDuringHandler);
        Assert.Equal(1, await loop.OnLoop(() => serverSide.GatheredWrites) - before);
        Assert.Equal(16 * 9, await loop.OnLoop(() => serverSide.BytesWritten));
    }

    [Fact]
    public async Task A_pipelined_batch_read_at_once_is_answered_with_one_write_per_read()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            // One reply per request line, as a request/response server answers a pipelined batch.
            OnData = (s, data) =>
            {
                foreach (byte b in data.Span)
                {
                    if (b == (byte)'\n')
                    {
                        s.Write("+OK\r\n"u8);
                    }
                }

                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var serverSide = await driver.Log.SocketOfFirstAsync("connection");

        await peer.SendAllAsync(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("GET key\n", 16))));
        var replies = await peer.ReadExactlyAsync(16 * 5);
        Assert.Equal(string.Concat(Enumerable.Repeat("+OK\r\n", 16)), Encoding.ASCII.GetString(replies));
        await loop.Loop.Barrier();

        // However the kernel split the batch into reads, each read costs one write, not one per reply.
        int reads = driver.Log.Count("data");
        Assert.Equal(reads, await loop.OnLoop(() => serverSide.GatheredWrites));
        Assert.InRange(reads, 1, 16);
    }

    [Fact]
    public async Task Writes_from_another_sockets_handler_go_out_in_one_write_per_target_after_that_handler()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            // A broadcast: five writes to every other client for each message.
            OnData = (from, data) =>
            {
                foreach (var client in from.Server!.Clients.Where(c => c != from))
                {
                    for (int i = 0; i < 5; i++)
                    {
                        client.Write(data.Span);
                    }
                }

                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var speaker = await Peer.ConnectAsync(server.Port!.Value);
        using var first = await Peer.ConnectAsync(server.Port!.Value);
        using var second = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 3);
        var listeners = driver.Log.Events.Where(e => e.Kind == "connection").Skip(1).Select(e => e.Socket!).ToArray();

        await speaker.SendAllAsync("hi!"u8.ToArray());
        Assert.Equal("hi!hi!hi!hi!hi!", Encoding.ASCII.GetString(await first.ReadExactlyAsync(15)));
        Assert.Equal("hi!hi!hi!hi!hi!", Encoding.ASCII.GetString(await second.ReadExactlyAsync(15)));
        Assert.Equal(new long[] { 1, 1 }, await loop.OnLoop(() => listeners.Select(l => l.GatheredWrites).ToArray()));
    }

    [Fact]
    public async Task Writes_from_a_timer_or_posted_work_go_out_in_one_write_after_it()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var serverSide = await driver.Log.SocketOfFirstAsync("connection");

        loop.Loop.Schedule(TimeSpan.FromMilliseconds(10), () =>
        {
            for (int i = 0; i < 10; i++)
            {
                serverSide.Write("t"u8);
            }
        });
        Assert.Equal("tttttttttt", Encoding.ASCII.GetString(await peer.ReadExactlyAsync(10)));
        Assert.Equal(1, await loop.OnLoop(() => serverSide.GatheredWrites));

        loop.Loop.Post(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                serverSide.Write("p"u8);
            }
        });
        Assert.Equal("pppppppppp", Encoding.ASCII.GetString(await peer.ReadExactlyAsync(10)));
        Assert.Equal(2, await loop.OnLoop(() => serverSide.GatheredWrites));
    }

    [Fact]
    public async Task Abort_in_the_callback_that_wrote_drops_what_it_wrote_unsent()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write("never sent"u8);
                s.Abort();
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync("x"u8.ToArray());
        var (data, _) = await peer.ReadToEndAsync();
        Assert.Empty(data);
        await driver.Log.WaitForAsync("close"); // the descriptor closes just before the close event runs
        Assert.Equal(0, driver.Log.First("close").Socket!.BytesWritten);
    }

    [Fact]
    public async Task A_large_write_goes_to_the_kernel_at_once_behind_what_is_queued_without_being_copied_first()
    {
        await using var loop = new TestLoop();
        var large = Peer.Pattern(1024 * 1024, seed: 9);
        long writtenAfterSmall = -1, writtenAfterLarge = -1;
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write("head:"u8);
                writtenAfterSmall = s.BytesWritten;
                s.Write(large);
                writtenAfterLarge = s.BytesWritten;
                s.Write(":tail"u8);
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync("x"u8.ToArray());
        var received = await peer.ReadExactlyAsync(5 + large.Length + 5);

        Assert.Equal(0, writtenAfterSmall);
        Assert.True(writtenAfterLarge > 5, "the large write should have been handed to the kernel during the call");
        Assert.Equal("head:", Encoding.ASCII.GetString(received, 0, 5));
        Assert.True(received.AsSpan(5, large.Length).SequenceEqual(large));
        Assert.Equal(":tail", Encoding.ASCII.GetString(received, 5 + large.Length, 5));
    }
}
