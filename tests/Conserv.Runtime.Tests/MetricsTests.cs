using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>Tests that read process-wide metrics run alone, so no other test's sockets add to what they count.</summary>
[CollectionDefinition(nameof(MetricsCollection), DisableParallelization = true)]
public sealed class MetricsCollection
{
}

/// <summary>The "Conserv" meter, read with a <see cref="MeterListener"/> while real sockets come and go.</summary>
[Collection(nameof(MetricsCollection))]
public sealed class MetricsTests : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Name, double Value, Dictionary<string, object?> Tags)> _measurements = new();

    public MetricsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ConservMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public void The_connection_duration_advises_bucket_boundaries_in_seconds()
    {
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(ConservMetrics).TypeHandle); // the instruments exist
        Histogram<double>? duration = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) => duration ??= instrument as Histogram<double> is { Name: "conserv.connection.duration" } h ? h : null,
        };
        listener.Start();

        Assert.NotNull(duration);
        Assert.Equal([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300], duration.Advice?.HistogramBucketBoundaries);
    }

    [Fact]
    public async Task Connections_bytes_durations_and_the_active_count_follow_real_connections()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        long activeBefore = Observe("conserv.connections.active");

        using (var a = await Peer.ConnectAsync(server.Port!.Value))
        using (var b = await Peer.ConnectAsync(server.Port!.Value))
        {
            await driver.Log.WaitForAsync("connection", count: 2);
            Assert.Equal(activeBefore + 2, Observe("conserv.connections.active"));
            await a.SendAllAsync(Peer.Pattern(100, 1));
            await b.SendAllAsync(Peer.Pattern(150, 2));
            await a.ReadExactlyAsync(100);
            await b.ReadExactlyAsync(150);
            a.Shutdown(SocketShutdown.Send); // an orderly close
            await driver.Log.WaitForAsync("close");
        }

        await driver.Log.WaitForAsync("close", count: 2);
        await loop.Loop.Barrier();
        Assert.Equal(activeBefore, Observe("conserv.connections.active"));
        Assert.Equal(2, Sum("conserv.connections", ("conserv.connection.side", "server"), ("network.transport", "tcp")));
        Assert.Equal(250, Sum("conserv.io.read"));
        Assert.Equal(250, Sum("conserv.io.written"));
        var durations = Measured("conserv.connection.duration").ToList();
        Assert.Equal(2, durations.Count);
        Assert.All(durations, d => Assert.InRange(d.Value, 0, 60));
        Assert.Contains(durations, d => !d.Tags.ContainsKey("error.type")); // the orderly close has no error type
    }

    [Fact]
    public async Task Errors_count_by_type_and_outcome_and_time_outs_by_kind()
    {
        await using var loop = new TestLoop();
        int accepted = 0;
        var driver = new RecordingDriver
        {
            OnData = (_, data) => throw new CustomTestException("bad input"),
            OnError = (_, e) => new ValueTask<bool>(e is IdleTimeoutException && false),

            // Only the second client may time out: on a loaded machine the first one's byte can take longer than 200 ms.
            OnConnection = (_, client) =>
            {
                if (++accepted == 1)
                {
                    client.IdleTimeout = null;
                }

                return default;
            },
        };
        var options = new TcpServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(200) };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);
        using var talker = await Peer.ConnectAsync(server.Port!.Value);
        await talker.SendAllAsync([1]);
        using var idle = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("close", count: 2);
        await loop.Loop.Barrier();

        Assert.Equal(1, Sum("conserv.errors", ("error.type", typeof(CustomTestException).FullName), ("conserv.error.outcome", "dropped")));
        Assert.Equal(1, Sum("conserv.errors", ("error.type", typeof(IdleTimeoutException).FullName), ("conserv.error.outcome", "dropped")));
        Assert.Equal(1, Sum("conserv.timeouts", ("conserv.timeout.kind", "idle")));
        Assert.Equal(1, Sum("conserv.timeouts")); // the handler's exception is an error, not a time-out
        Assert.Contains(Measured("conserv.connection.duration"), d => Equals(d.Tags.GetValueOrDefault("error.type"), typeof(CustomTestException).FullName));
    }

    [Fact]
    public async Task A_unix_socket_connection_is_counted_and_timed_as_unix_transport()
    {
        await using var loop = new TestLoop();
        using var directory = new TempDir();
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.ListenUnix(driver, directory.File("m"), loop: loop.Loop);
        using (var client = await Peer.ConnectUnixAsync(directory.File("m")))
        {
            await client.SendAllAsync([7]);
            await client.ReadExactlyAsync(1);
        }

        await driver.Log.WaitForAsync("close");
        await loop.Loop.Barrier();
        Assert.Equal(1, Sum("conserv.connections", ("conserv.connection.side", "server"), ("network.transport", "unix")));
        Assert.Equal(0, Sum("conserv.connections", ("network.transport", "tcp")));
        Assert.Equal("unix", Assert.Single(Measured("conserv.connection.duration")).Tags["network.transport"]);
    }

    [Fact]
    public async Task Rejected_connections_paused_sockets_and_queued_output_are_counted()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: new TcpServerOptions { MaxConnections = 1 });
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await first.ConnectAsync(System.Net.IPAddress.Loopback, server.Port!.Value);
        var side = await driver.Log.SocketOfFirstAsync("connection");
        using var second = await Peer.ConnectAsync(server.Port!.Value);
        await Poll.UntilAsync(loop.Loop, () => server.RejectedConnections == 1, "the second client to be turned away");
        Assert.Equal(1, Sum("conserv.connections.rejected"));

        long pausedBefore = Observe("conserv.sockets.paused");
        side.Pause();
        await loop.Loop.Barrier();
        Assert.Equal(pausedBefore + 1, Observe("conserv.sockets.paused"));
        side.Resume();
        await loop.Loop.Barrier();
        Assert.Equal(pausedBefore, Observe("conserv.sockets.paused"));

        // The first client does not read: what the kernel does not take stays queued, and shows.
        await loop.OnLoop(() => side.Write(new byte[8 * 1024 * 1024]));
        await Poll.UntilAsync(loop.Loop, () => side.BytesQueued > 0 && !side.IsWritable, "output to queue");
        long queued = await loop.OnLoop(() => side.BytesQueued);
        Assert.Equal(queued, Observe("conserv.output.queued"));
        Assert.True(Observe("conserv.sockets.paused") >= pausedBefore + 1, "a socket above its high water mark does not read");
        await loop.OnLoop(() => side.Abort());
        Assert.Equal(0, Observe("conserv.output.queued"));

        // Out of descriptors (injected here), the waiting clients are turned away with the spare descriptor: counted too.
        await loop.OnLoop(() => server.InjectedAcceptErrors = new(new[] { Conserv.Interop.Libc.EMFILE }));
        var waiting = await loop.Loop.ConnectWhileHeldAsync(server.Port!.Value, 2);

        await Poll.UntilAsync(loop.Loop, () => server.RejectedConnections == 3, "the two waiting clients to be turned away");
        Assert.Equal(3, Sum("conserv.connections.rejected"));
        Array.ForEach(waiting, socket => socket.Dispose());
    }

    [Fact]
    public async Task A_stopped_loop_leaves_the_gauges_and_is_not_kept_alive_by_them()
    {
        // The gauges sum over the running loops; a stopped one must leave that set, or every loop ever run (with its
        // buffers) stays reachable for the life of the process.
        var stopped = await RunALoopWithAConnectionAndStopItAsync();
        for (int i = 0; i < 10 && stopped.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(10);
        }

        Assert.False(stopped.IsAlive, "the stopped loop was collected");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> RunALoopWithAConnectionAndStopItAsync()
    {
        var loop = EventLoop.Start();
        var driver = RecordingDriver.Echo();
        var server = TcpServer.Listen(driver, port: 0, loop: loop);
        using (var peer = await Peer.ConnectAsync(server.Port!.Value))
        {
            await peer.SendAllAsync(Peer.Pattern(10, 3));
            await peer.ReadExactlyAsync(10);
        }

        loop.Stop();
        await loop.Completion.WithTimeout("the loop to stop");
        return new WeakReference(loop);
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        _measurements.Enqueue((instrument.Name, value, copy));
    }

    private IEnumerable<(string Name, double Value, Dictionary<string, object?> Tags)> Measured(string name) =>
        _measurements.Where(m => m.Name == name);

    [Fact]
    public async Task An_error_an_async_error_handler_decides_on_later_is_counted_once_with_its_outcome()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            OnData = (_, data) => data.Span[0] == (byte)'h' ? throw new CustomTestException("to handle") : throw new ArgumentException("to drop"),
            OnError = async (_, e) =>
            {
                await Task.Yield(); // decided after the dispatch returned
                return e is CustomTestException;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var handled = await Peer.ConnectAsync(server.Port!.Value);
        using var dropped = await Peer.ConnectAsync(server.Port!.Value);
        await handled.SendAllAsync("h"u8.ToArray());
        await dropped.SendAllAsync("d"u8.ToArray());
        await driver.Log.WaitForAsync("close");
        await driver.Log.WaitForAsync("error", count: 2);
        await loop.Loop.Barrier();

        Assert.Equal(1, Sum("conserv.errors", ("error.type", typeof(CustomTestException).FullName), ("conserv.error.outcome", "handled")));
        Assert.Equal(1, Sum("conserv.errors", ("error.type", typeof(ArgumentException).FullName), ("conserv.error.outcome", "dropped")));
        Assert.Equal(2, Sum("conserv.errors"));
        Assert.Equal(1, driver.Log.Count("close")); // only the dropped one
    }

    [Fact]
    public async Task A_fatal_error_is_counted_as_dropped_even_when_an_async_error_handler_handles_it()
    {
        await using var network = new Conserv.Testing.TestNetwork();
        var driver = new RecordingDriver
        {
            Features = SocketDriverFeatures.ByteData,
            OnError = async (_, _) =>
            {
                await Task.Yield();
                return true;
            },
        };
        var peer = await network.AcceptAsync(driver);
        peer.FailNextSend(SocketError.ConnectionReset);
        await network.Loop.OnLoopAsync(() => peer.Socket.Write("lost"u8));
        await driver.Log.WaitForAsync("close");
        await network.SettleAsync();

        Assert.Equal(1, Sum("conserv.errors", ("error.type", typeof(SocketException).FullName), ("conserv.error.outcome", "dropped")));
        Assert.Equal(0, Sum("conserv.errors", ("conserv.error.outcome", "handled")));
    }

    [Fact]
    public async Task A_fault_of_a_socket_without_a_driver_drops_it_and_is_counted_as_dropped()
    {
        await using var network = new Conserv.Testing.TestNetwork();
        var peer = await network.AcceptAsync(new RecordingDriver());
        await network.Loop.OnLoopAsync(() => peer.Socket.Driver = null);
        peer.FailNextSend(SocketError.ConnectionReset);
        await network.Loop.OnLoopAsync(() => peer.Socket.Write("lost"u8));
        await peer.Socket.Closed.WithTimeout("the socket without a driver to be dropped");
        await network.SettleAsync();

        Assert.True(peer.Socket.IsClosed);
        Assert.Equal(1, Sum("conserv.errors", ("error.type", typeof(SocketException).FullName), ("conserv.error.outcome", "dropped")));
        Assert.Equal(0, Sum("conserv.errors", ("conserv.error.outcome", "handled")));
    }

    [Fact]
    public async Task A_socket_without_a_driver_closes_at_end_of_file_without_an_error()
    {
        await using var network = new Conserv.Testing.TestNetwork();
        var peer = await network.AcceptAsync(new RecordingDriver());
        await network.Loop.OnLoopAsync(() => peer.Socket.Driver = null);
        peer.ShutdownWrite();
        await peer.Socket.Closed.WithTimeout("the socket without a driver to close at end of file");
        await network.SettleAsync();

        Assert.True(peer.EndReceived);
        Assert.Equal(0, Sum("conserv.errors"));
    }

    [Fact]
    public async Task A_client_connection_is_counted_once_it_has_connected()
    {
        await using var loop = new TestLoop();
        await using var server = TcpServer.Listen(RecordingDriver.Echo(), port: 0, loop: loop.Loop);
        var driver = new RecordingDriver();
        var client = TcpSocket.Connect(driver, "127.0.0.1", server.Port!.Value, loop: loop.Loop);
        await driver.Log.WaitForAsync("connect");

        Assert.Equal(1, Sum("conserv.connections", ("conserv.connection.side", "client")));
        await client.DisposeAsync().WithTimeout("the client to close");
    }

    [Fact]
    public void Every_instrument_has_its_name_unit_and_description()
    {
        var published = new List<Instrument>();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == ConservMetrics.MeterName)
                {
                    published.Add(instrument);
                }
            };
            listener.Start();
        }

        Assert.Equal(
            new[]
            {
                "conserv.connection.duration|s|How long connections stayed open; error.type is the close cause's type.",
                "conserv.connections.active|{connection}|Open connections.",
                "conserv.connections.rejected|{connection}|Clients turned away: over a connection cap, or while out of descriptors.",
                "conserv.connections|{connection}|Connections opened: accepted by a server or connected by a client.",
                "conserv.errors|{error}|Errors dispatched to socket drivers, by exception type and outcome.",
                "conserv.io.read|By|Bytes read from sockets.",
                "conserv.io.written|By|Bytes the kernel accepted for sending.",
                "conserv.output.queued|By|Bytes written and not yet taken by the kernel.",
                "conserv.sockets.paused|{socket}|Sockets not reading: paused, or above their output high water mark.",
                "conserv.timeouts|{timeout}|Idle, connect and deadline time-outs.",
            },
            published.Select(i => $"{i.Name}|{i.Unit}|{i.Description}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_socket_closed_while_paused_gives_back_its_paused_share_and_a_refused_connect_was_never_active()
    {
        await using var network = new Conserv.Testing.TestNetwork();
        var peer = await network.AcceptAsync(new RecordingDriver());
        peer.Socket.Pause();
        await network.SettleAsync();
        Assert.Equal((1, 1), await network.Loop.OnLoopAsync(() => (network.Loop.PausedSockets, network.Loop.ActiveConnections)));
        peer.Socket.Close();
        await network.SettleAsync();
        Assert.Equal((0, 0), await network.Loop.OnLoopAsync(() => (network.Loop.PausedSockets, network.Loop.ActiveConnections)));

        var refused = await network.ConnectAsync(new RecordingDriver(), Conserv.Testing.PeerConnectBehavior.Refuse);
        await network.SettleAsync();
        Assert.True(refused.Socket.IsClosed);
        Assert.Equal(0, await network.Loop.OnLoopAsync(() => network.Loop.ActiveConnections));
    }

    [Fact]
    public async Task Connect_and_deadline_time_outs_are_counted_by_their_kind()
    {
        await using var network = new Conserv.Testing.TestNetwork();
        var silent = await network.ConnectAsync(new RecordingDriver(), Conserv.Testing.PeerConnectBehavior.Silent, new TcpSocketOptions { ConnectTimeout = TimeSpan.FromSeconds(5) });
        var open = await network.AcceptAsync(new RecordingDriver());
        open.Socket.SetDeadline(TimeSpan.FromSeconds(2));
        await network.AdvanceAsync(TimeSpan.FromSeconds(6));
        Assert.True(silent.Socket.IsClosed && open.Socket.IsClosed);
        Assert.Equal(1, Sum("conserv.timeouts", ("conserv.timeout.kind", "connect")));
        Assert.Equal(1, Sum("conserv.timeouts", ("conserv.timeout.kind", "deadline")));
    }

    private long Sum(string name, params (string Key, object? Value)[] tags) =>
        (long)Measured(name).Where(m => tags.All(t => Equals(m.Tags.GetValueOrDefault(t.Key), t.Value))).Sum(m => m.Value);

    /// <summary>The current value of an observable instrument.</summary>
    private long Observe(string name)
    {
        int before = _measurements.Count;
        _listener.RecordObservableInstruments();
        return (long)_measurements.Skip(before).Last(m => m.Name == name).Value;
    }
}
