using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

public class LoopTests
{
    private static Task RunOnNewThread(Action setup, EventLoopOptions? options = null) =>
        Task.Factory.StartNew(() => EventLoop.Run(setup, options), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    [Fact]
    public async Task Run_returns_by_itself_when_nothing_is_left()
    {
        var serverDriver = RecordingDriver.Echo();
        var clientDriver = new RecordingDriver
        {
            OnConnect = s => { s.Write("ping"u8); return default; },
            OnData = (s, _) => { s.Close(); return default; },
        };
        var serverThread = new TaskCompletionSource<int>();
        var runThread = -1;
        var run = RunOnNewThread(() =>
        {
            runThread = Environment.CurrentManagedThreadId;
            var server = TcpServer.Listen(serverDriver, port: 0);
            Assert.Same(EventLoop.Current, server.Loop);
            var client = TcpSocket.Connect(clientDriver, "127.0.0.1", server.Port!.Value);
            Assert.Same(EventLoop.Current, client.Loop);
            client.Closed.ContinueWith(_ => server.Close(), TaskScheduler.Default);
        });

        await run.WithTimeout("Run to return");
        Assert.Equal(new[] { "connect", "data", "close" }, clientDriver.Log.Events.Select(e => e.Kind).ToArray().Collapse().Where(k => k != "outputEmpty"));
        Assert.Equal("serverClose", serverDriver.Log.Events[^1].Kind);
        Assert.All(serverDriver.Log.Events.Concat(clientDriver.Log.Events), e => Assert.Equal(runThread, e.ThreadId));
    }

    [Fact]
    public async Task A_loop_that_spins_before_waiting_echoes_every_byte_and_still_returns_when_idle()
    {
        var options = new EventLoopOptions { SpinBeforeWait = TimeSpan.FromMilliseconds(1) };
        var serverDriver = RecordingDriver.Echo();
        var message = Peer.Pattern(64, 9);
        int roundTrips = 0;
        var clientDriver = new RecordingDriver
        {
            OnConnect = s => { s.Write(message); return default; },
            OnData = (s, data) =>
            {
                Assert.True(data.Span.SequenceEqual(message)); // ping-pong: one whole message per event on loopback
                if (++roundTrips < 200)
                {
                    s.Write(message);
                }
                else
                {
                    s.Close();
                }

                return default;
            },
        };
        await RunOnNewThread(() =>
        {
            var server = TcpServer.Listen(serverDriver, port: 0);
            var client = TcpSocket.Connect(clientDriver, "127.0.0.1", server.Port!.Value);
            client.Closed.ContinueWith(_ => server.Close(), TaskScheduler.Default);
        }, options).WithTimeout("Run to return");

        Assert.Equal(200, roundTrips);
        Assert.Equal(200L * message.Length, serverDriver.Log.BytesOf().Length);
    }

    [Fact]
    public void SpinBeforeWait_rejects_a_negative_or_too_long_spin()
    {
        var options = new EventLoopOptions();
        Assert.Equal("SpinBeforeWait", Assert.Throws<ArgumentOutOfRangeException>(() => options.SpinBeforeWait = TimeSpan.FromTicks(-1)).ParamName);
        Assert.Equal("SpinBeforeWait", Assert.Throws<ArgumentOutOfRangeException>(() => options.SpinBeforeWait = TimeSpan.FromSeconds(1)).ParamName);
        Assert.Equal(TimeSpan.Zero, options.SpinBeforeWait);
    }

    [Fact]
    public async Task Run_with_nothing_to_do_returns_and_a_nested_Run_throws()
    {
        Exception? nested = null;
        await RunOnNewThread(() => nested = Record.Exception(() => EventLoop.Run(() => { }))).WithTimeout("Run to return");
        Assert.Equal("This thread already runs an event loop.", Assert.IsType<InvalidOperationException>(nested).Message);
    }

    [Fact]
    public async Task Run_leaves_its_thread_as_it_found_it_so_the_thread_can_run_a_loop_again()
    {
        var before = new SynchronizationContext();
        SynchronizationContext? during = null, after = null;
        EventLoop? first = null, second = null, currentAfter = null;
        await Task.Factory.StartNew(() =>
        {
            SynchronizationContext.SetSynchronizationContext(before);
            EventLoop.Run(() =>
            {
                first = EventLoop.Current;
                during = SynchronizationContext.Current;
            });
            after = SynchronizationContext.Current;
            currentAfter = EventLoop.Current;
            EventLoop.Run(() => second = EventLoop.Current); // throws if the thread still counted as running a loop
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WithTimeout("both Runs to return");

        Assert.Same(first!.SynchronizationContext, during);
        Assert.Same(before, after);
        Assert.Null(currentAfter);
        Assert.NotNull(second);
        Assert.NotSame(first, second);
        await first.Completion.WithTimeout("the first loop's Completion");
    }

    [Fact]
    public async Task Start_runs_the_loop_on_a_background_thread_with_the_name_it_was_given()
    {
        var loop = EventLoop.Start(new EventLoopOptions { ThreadName = "named loop" });
        var (name, background, current) = await loop.OnLoopAsync(() => (Thread.CurrentThread.Name, Thread.CurrentThread.IsBackground, EventLoop.Current));
        Assert.Equal("named loop", name);
        Assert.True(background, "a started loop must not keep the process alive");
        Assert.Same(loop, current);
        loop.Stop();
        await loop.Completion.WithTimeout("the loop to stop");
    }

    [Fact]
    public async Task A_loop_started_without_a_thread_name_runs_on_a_thread_named_for_Conserv()
    {
        Assert.Equal("Conserv event loop", new EventLoopOptions().ThreadName);
        await using var loop = new TestLoop();
        Assert.Equal("Conserv event loop", await loop.OnLoop(() => Thread.CurrentThread.Name));
    }

    [Fact]
    public async Task Post_refuses_a_null_action_at_the_call()
    {
        await using var loop = new TestLoop();
        Assert.Equal("action", Assert.Throws<ArgumentNullException>(() => loop.Loop.Post((Action)null!)).ParamName);
        Assert.Equal("action", Assert.Throws<ArgumentNullException>(() => loop.Loop.Post((Action<object?>)null!, null)).ParamName);
    }

    [Fact]
    public async Task Work_posted_by_posted_work_runs_in_the_next_turn_after_the_timers_due_now()
    {
        await using var loop = new TestLoop();
        var order = new List<string>();
        await loop.OnLoop(() =>
        {
            loop.Loop.Schedule(TimeSpan.Zero, () => order.Add("timer"));
            loop.Loop.Post(() => order.Add("posted"));
        });
        await loop.Loop.Barrier();
        Assert.Equal(new[] { "timer", "posted" }, await loop.OnLoop(() => order.ToArray()));
    }

    [Fact]
    public async Task Stop_closes_servers_before_other_sockets_so_a_servers_close_event_comes_before_theirs()
    {
        // A client socket opened before the server: without the servers-first order it would close first.
        using var elsewhere = new TcpListener(System.Net.IPAddress.Loopback, 0);
        elsewhere.Start();
        var loop = new TestLoop();
        var log = new EventLog();
        var clientDriver = new RecordingDriver(log);
        var client = TcpSocket.Connect(clientDriver, "127.0.0.1", ((System.Net.IPEndPoint)elsewhere.LocalEndpoint).Port, loop: loop.Loop);
        await log.WaitForAsync("connect");
        using var accepted = await elsewhere.AcceptSocketAsync();
        var serverDriver = new RecordingDriver(log);
        var server = TcpServer.Listen(serverDriver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await log.WaitForAsync("connection");

        await loop.DisposeAsync();

        var closes = log.Events.Where(e => e.Kind is "close" or "serverClose").ToArray();
        Assert.Equal(new[] { "close", "serverClose", "close" }, closes.Select(e => e.Kind));
        Assert.NotSame(client, closes[0].Socket);
        Assert.Same(client, closes[2].Socket);
    }

    [Fact]
    public async Task Stop_aborts_every_socket_and_server_with_their_close_events()
    {
        var loop = new TestLoop();
        var serverDriver = new RecordingDriver();
        var clientDriver = new RecordingDriver();
        var server = TcpServer.Listen(serverDriver, port: 0, loop: loop.Loop);
        var clients = Enumerable.Range(0, 3).Select(_ => TcpSocket.Connect(clientDriver, "127.0.0.1", server.Port!.Value, loop: loop.Loop)).ToArray();
        await clientDriver.Log.WaitForAsync("connect", 3);
        await serverDriver.Log.WaitForAsync("connection", 3);

        await loop.DisposeAsync(); // Stop, then wait for the loop's completion

        foreach (var client in clients)
        {
            Assert.True(client.IsClosed);
            Assert.Equal(new[] { "connect", "close" }, clientDriver.Log.KindsOf(client));
        }

        var serverKinds = serverDriver.Log.Events.Select(e => e.Kind).ToArray();
        Assert.Equal(new[] { "listen", "connection", "connection", "connection", "close", "close", "close", "serverClose" }, serverKinds);
        Assert.True(server.IsClosed);
        await server.Closed.WithTimeout("server Closed task");
    }

    [Fact]
    public async Task A_factory_server_on_a_group_spreads_connections_and_each_driver_sees_one_thread()
    {
        using var group = new EventLoopGroup(2);
        var drivers = new ConcurrentBag<ThreadCheckingDriver>();
        var servers = TcpServer.Listen(() =>
        {
            var d = new ThreadCheckingDriver();
            drivers.Add(d);
            return d;
        }, port: 0, group: group);
        Assert.Equal(2, servers.Servers.Count);
        Assert.Equal(2, drivers.Count);
        Assert.NotSame(servers.Servers[0].Loop, servers.Servers[1].Loop);

        const int connections = 40;
        var peers = new List<Socket>();
        for (int i = 0; i < connections; i++)
        {
            var peer = await Peer.ConnectAsync(servers.Port!.Value);
            peers.Add(peer);
            await peer.SendAllAsync(new[] { (byte)i });
            Assert.Equal(new[] { (byte)i }, await peer.ReadExactlyAsync(1));
        }

        foreach (var peer in peers)
        {
            peer.Shutdown(SocketShutdown.Send);
            await peer.ReadToEndAsync();
            peer.Dispose();
        }

        await servers.DisposeAsync().WithTimeout("servers close");
        group.Stop();
        await group.Completion.WithTimeout("group stop");

        Assert.All(drivers, d => Assert.Single(d.Threads));
        Assert.All(drivers, d => Assert.True(d.Connections > 0, "the kernel should give each listener some of 40 connections"));
        Assert.Equal(connections, drivers.Sum(d => d.Connections));
        Assert.NotEqual(drivers.First().Threads.Single(), drivers.Last().Threads.Single());
    }

    [Fact]
    public async Task An_async_data_handler_pauses_reads_until_it_completes_and_keeps_data_in_order()
    {
        await using var loop = new TestLoop();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new StringBuilder();
        int loopThread = await loop.OnLoop(() => Environment.CurrentManagedThreadId);
        var continuationThreads = new ConcurrentBag<int>();
        TcpSocket? gated = null;
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) => { gated ??= c; return default; },
            OnData = async (s, d) =>
            {
                var text = Encoding.ASCII.GetString(d.Span);
                if (!ReferenceEquals(s, gated))
                {
                    return;
                }

                received.Append(text);
                if (received.ToString() == "first")
                {
                    await gate.Task;
                    continuationThreads.Add(Environment.CurrentManagedThreadId);
                }
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("first"));
        await driver.Log.WaitForAsync("data");
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("second"));

        // Another connection on the same loop is served meanwhile; the gated one gets nothing more.
        using var other = await Peer.ConnectAsync(server.Port!.Value);
        await other.SendAllAsync(new byte[] { 1 });
        await driver.Log.WaitForAsync("data", 2);
        await loop.Loop.Barrier();
        Assert.Equal(1, driver.Log.Count("data", gated!));

        gate.SetResult();
        await driver.Log.WaitForBytesAsync(11, gated);
        Assert.Equal("firstsecond", Encoding.ASCII.GetString(driver.Log.BytesOf(gated)));
        Assert.Equal(new[] { loopThread }, continuationThreads.ToArray());
    }

    [Fact]
    public async Task An_async_text_handler_keeps_its_text_valid_and_in_order_until_it_completes()
    {
        var received = new StringBuilder();
        var driver = new RecordingDriver
        {
            Features = SocketDriverFeatures.TextData,
            OnText = async (_, text) =>
            {
                await Task.Yield();
                received.Append(text.Span); // still valid after the await
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var expected = new StringBuilder();
        for (int i = 0; i < 200; i++)
        {
            expected.Append($"é{i};");
        }

        await peer.SendAllAsync(Encoding.UTF8.GetBytes(expected.ToString()));
        peer.Shutdown(SocketShutdown.Send);
        await driver.Log.WaitForAsync("close");
        await server.Loop.Barrier();
        Assert.Equal(expected.ToString(), received.ToString());
    }

    [Fact]
    public async Task An_async_text_handler_keeps_its_text_while_the_loop_decodes_another_sockets_text()
    {
        // The loop decodes every socket's text into one shared buffer; a handler still running after its event
        // returned must keep the characters it was given.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        TcpSocket? holding = null;
        var driver = new RecordingDriver
        {
            Features = SocketDriverFeatures.TextData,
            OnText = async (s, text) =>
            {
                if (ReferenceEquals(s, holding))
                {
                    await release.Task;
                    seen.SetResult(text.ToString()); // still the characters this event brought
                }
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var holdingPeer = await Peer.ConnectAsync(server.Port!.Value);
        holding = await driver.Log.SocketOfFirstAsync("connection");
        using var otherPeer = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);

        await holdingPeer.SendAllAsync(Encoding.UTF8.GetBytes(new string('A', 500)));
        await driver.Log.WaitForAsync("text");
        await otherPeer.SendAllAsync(Encoding.UTF8.GetBytes(new string('B', 500)));
        await driver.Log.WaitForTextAsync(new string('B', 500)); // decoded while the first handler still holds its text

        release.SetResult();
        string held = await seen.Task.WithTimeout("the held handler to finish");
        var first = driver.Log.First("text");
        Assert.Same(holding, first.Socket);
        Assert.Equal(first.Text, held);
        Assert.Matches("^A+$", held);
    }

    [Fact]
    public async Task Public_methods_are_safe_from_any_thread()
    {
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");

        var writers = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 50; i++)
            {
                socket.Write(new[] { (byte)t });
            }
        })).ToArray();
        await Task.WhenAll(writers).WithTimeout("writers");
        var data = await peer.ReadExactlyAsync(200);
        for (int t = 0; t < 4; t++)
        {
            Assert.Equal(50, data.Count(b => b == t));
        }
    }

    [Fact]
    public async Task A_server_closed_in_the_same_turn_it_was_opened_lets_Run_return()
    {
        var driver = new RecordingDriver();
        await RunOnNewThread(() =>
        {
            var server = TcpServer.Listen(driver, port: 0);
            server.Close();
        }).WithTimeout("Run to return");
        Assert.Equal(1, driver.Log.Count("serverClose"));
        Assert.Equal("serverClose", driver.Log.Events[^1].Kind);
    }

    [Fact]
    public async Task A_client_aborted_in_the_same_turn_it_was_opened_lets_Run_return()
    {
        var driver = new RecordingDriver();
        TcpSocket? client = null;
        await RunOnNewThread(() =>
        {
            client = TcpSocket.Connect(driver, "127.0.0.1", Peer.UnusedPort());
            client.Abort();
        }).WithTimeout("Run to return");
        Assert.Equal(new[] { "close" }, driver.Log.KindsOf(client!));
    }

    [Fact]
    public async Task Close_on_a_connecting_client_closes_it_after_the_connect()
    {
        var serverDriver = new RecordingDriver();
        await using var server = TcpServer.Listen(serverDriver, port: 0);
        var driver = new RecordingDriver();
        var client = TcpSocket.Connect(driver, "127.0.0.1", server.Port!.Value);
        client.Write("queued before connect"u8);
        client.Close();
        await client.Closed.WithTimeout("the client to close");
        await serverDriver.Log.WaitForBytesAsync(21);
        Assert.Equal("queued before connect", Encoding.ASCII.GetString(serverDriver.Log.BytesOf()));
        Assert.Equal("close", driver.Log.KindsOf(client)[^1]);
        Assert.Equal(1, driver.Log.Count("close"));
    }

    [Fact]
    public async Task Stop_called_from_a_handler_ends_Run_and_closes_everything()
    {
        var serverDriver = new RecordingDriver();
        var clientDriver = new RecordingDriver { OnConnect = _ => { EventLoop.Current!.Stop(); return default; } };
        await RunOnNewThread(() =>
        {
            var server = TcpServer.Listen(serverDriver, port: 0);
            TcpSocket.Connect(clientDriver, "127.0.0.1", server.Port!.Value);
        }).WithTimeout("Run to return after Stop");
        Assert.Equal(new[] { "connect", "close" }, clientDriver.Log.Events.Select(e => e.Kind));
        Assert.Equal("serverClose", serverDriver.Log.Events[^1].Kind);
    }

    private sealed class ThreadCheckingDriver : ISocketEventDriver, IServerEventDriver
    {
        private readonly HashSet<int> _threads = new();

        public IReadOnlyCollection<int> Threads
        {
            get
            {
                lock (_threads)
                {
                    return _threads.ToArray();
                }
            }
        }

        public int Connections { get; private set; }

        private void Seen()
        {
            lock (_threads)
            {
                _threads.Add(Environment.CurrentManagedThreadId);
            }
        }

        public ValueTask OnServerListen(TcpServer server)
        {
            Seen();
            return default;
        }

        public ValueTask OnServerConnection(TcpServer server, TcpSocket client)
        {
            Seen();
            Connections++;
            return default;
        }

        public void OnServerClose(TcpServer server) => Seen();

        public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data)
        {
            Seen();
            socket.Write(data.Span);
            return default;
        }

        public ValueTask OnSocketEndOfFile(TcpSocket socket)
        {
            Seen();
            return default;
        }

        public ValueTask OnSocketOutputEmpty(TcpSocket socket)
        {
            Seen();
            return default;
        }

        public void OnSocketClose(TcpSocket socket, Exception? cause) => Seen();
    }

    [Fact]
    public async Task No_data_event_carries_more_than_ReadBufferSize_and_together_they_make_BytesRead()
    {
        // 1000: not a power of two, so a read into the whole pooled buffer (1024) would show.
        const int bufferSize = 1000;
        await using var loop = new TestLoop(new EventLoopOptions { ReadBufferSize = bufferSize });
        var driver = new RecordingDriver();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        var sent = Peer.Pattern(200_000, 41);

        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(sent);
        await driver.Log.WaitForBytesAsync(sent.Length);

        var socket = driver.Log.First("connection").Socket!;
        var sizes = driver.Log.Events.Where(e => e.Kind == "data").Select(e => e.Bytes!.Length).ToArray();
        Assert.All(sizes, size => Assert.InRange(size, 1, bufferSize));
        Assert.Equal(sent, driver.Log.BytesOf(socket));
        Assert.Equal(sizes.Sum(), socket.BytesRead);
        Assert.Equal(sent.Length, socket.BytesRead);
    }

    [Fact]
    public async Task A_handler_closing_another_connection_ready_in_the_same_batch_skips_its_event_and_reports_nothing()
    {
        await using var loop = new TestLoop();
        var unhandled = new ConcurrentQueue<Exception>();
        loop.Loop.UnhandledException += (_, e) => unhandled.Enqueue(e.Exception);
        var serverSides = new List<TcpSocket>();
        var driver = new RecordingDriver
        {
            // The first connection handled aborts every other one, whose readiness is already in this batch.
            OnData = (s, _) =>
            {
                foreach (var other in serverSides.Where(other => !ReferenceEquals(other, s)))
                {
                    other.Abort();
                }

                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var first = await Peer.ConnectAsync(server.Port!.Value);
        using var second = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);
        serverSides.AddRange(driver.Log.Events.Where(e => e.Kind == "connection").Select(e => e.Socket!));

        using (await loop.HoldAsync())
        {
            await first.SendAllAsync("one"u8.ToArray());
            await second.SendAllAsync("two"u8.ToArray());
            await first.WaitUntilAcknowledgedAsync();
            await second.WaitUntilAcknowledgedAsync();
        }

        await driver.Log.WaitForAsync("close");
        await loop.Loop.Barrier();

        // One data event, one close: the aborted connection's event of the same batch found its slot empty and was
        // skipped (without the check the loop reports a NullReferenceException, twice).
        Assert.Equal(1, driver.Log.Count("data"));
        Assert.Equal(1, driver.Log.Count("close"));
        Assert.Empty(unhandled);
    }

    [Fact]
    public async Task Work_posted_by_close_handlers_during_an_immediate_stop_runs_before_the_loop_completes()
    {
        // An async close handler's continuation is work posted to the loop; an immediate stop closes every socket
        // and must still run what those closes queued before the loop releases its resources.
        var loop = EventLoop.Start();
        var ranOnLoop = new ConcurrentQueue<bool>();
        var driver = new RecordingDriver
        {
            OnClose = (_, _) => loop.Post(() => ranOnLoop.Enqueue(loop.IsLoopThread)),
        };
        var server = TcpServer.Listen(driver, port: 0, loop: loop); // closed by the stop
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection");

        loop.Stop();
        await loop.Completion.WithTimeout("the loop to stop");

        Assert.Equal(1, driver.Log.Count("close"));
        Assert.Equal([true], ranOnLoop.ToArray());
    }
}
