using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Conserv.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Conserv.Hosting.Tests;

/// <summary>
/// <see cref="ConservServerOptions.Loops"/>: a server with a driver per connection spread over several loops of the host's
/// group (one SO_REUSEPORT listener per loop), and the validation that keeps a single driver instance on one loop.
/// </summary>
public sealed class LoopsTests
{
    /// <summary>How many connections a test opens at most while looking for a second loop.</summary>
    private const int MaxConnectionsTried = 64;

    [Fact]
    public async Task Connections_to_a_server_on_two_loops_are_served_from_both_loops()
    {
        using var host = BuildSpreadHost(new Dictionary<string, string?> { ["Conserv:Servers:spread:Port"] = "0", ["Conserv:Servers:spread:Loops"] = "2" });
        await host.StartBoundedAsync();
        var listeners = host.Services.GetRequiredService<ConservServers>()["spread"];
        int port = listeners[0].Port!.Value;
        Assert.Equal(2, listeners.Count);
        Assert.All(listeners, l => Assert.Equal(port, l.Port));

        var peers = new List<Peer>();
        try
        {
            // The kernel picks a listener per connection (a hash of its addresses): open connections until two loops
            // have answered. All of 64 on one of two listeners would be a 1 in 2^63 chance, not bad luck.
            var served = await ConnectUntilTwoLoopsAsync(port, peers);

            Assert.Equal(new[] { 0, 1 }, served.Keys.Order());
        }
        finally
        {
            peers.ForEach(p => p.Dispose());
        }

        await host.StopBoundedAsync();
        Assert.All(listeners, l => Assert.True(l.IsClosed));
        Assert.True(await Peer.IsRefusedAsync(port), "nothing listens once the host has stopped");
    }

    [Fact]
    public async Task Stopping_the_host_drains_the_connections_of_every_loop()
    {
        var gate = new RequestGate();
        var log = new LogCollector();
        using var host = BuildSpreadHost(
            new Dictionary<string, string?>
            {
                ["Conserv:Servers:spread:Port"] = "0",
                ["Conserv:Servers:spread:Loops"] = "2",
                ["Conserv:Servers:spread:DrainTimeout"] = "00:01:00",
            },
            gate,
            log);
        await host.StartBoundedAsync();
        int port = host.Services.GetRequiredService<ConservServers>()["spread"][0].Port!.Value;

        var peers = new List<Peer>();
        try
        {
            var served = await ConnectUntilTwoLoopsAsync(port, peers);
            Assert.Equal(2, served.Count);

            // One request in progress on each loop when the host stops.
            foreach (var peer in served.Values)
            {
                await peer.SendAsync("r");
            }

            for (int i = 0; i < served.Count; i++)
            {
                Assert.True(await gate.Arrived.WaitAsync(TestHost.Timeout), "a request reached its handler");
            }

            var stopping = host.StopAsync();
            await Peer.WaitUntilRefusedAsync(port); // every listener has stopped accepting: the drain has begun
            Assert.False(stopping.IsCompleted, "the host waits for the requests in progress");
            gate.Release.TrySetResult();

            foreach (var peer in served.Values)
            {
                Assert.Equal("reply\n", await peer.ReceiveToEndAsync()); // its reply, then an orderly end
            }

            await stopping.WaitAsync(TestHost.Timeout);
            Assert.DoesNotContain(log.Entries, e => e.EventName == "DrainCutShort");
        }
        finally
        {
            gate.Release.TrySetResult();
            peers.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task With_DriverPerLoop_each_loop_has_one_instance_that_sees_all_its_events_on_its_thread()
    {
        var counter = new InstanceCounter();
        var record = new EventRecord();
        using var host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["Conserv:Servers:perloop:Port"] = "0",
                ["Conserv:Servers:perloop:Loops"] = "2",
                ["Conserv:Servers:perloop:DriverPerLoop"] = "true",
            },
            services =>
            {
                services.AddSingleton(_ => new EventLoopGroup(2));
                services.AddSingleton(counter);
                services.AddSingleton(record);
                services.AddConservServer<PerLoopCounter>("perloop");
            });
        await host.StartBoundedAsync();
        int port = host.Services.GetRequiredService<ConservServers>()["perloop"][0].Port!.Value;
        Assert.Equal(2, counter.Made); // made when the host starts, one per loop

        var peers = new List<Peer>();
        var instanceOfLoop = new Dictionary<int, int>();
        var connectionsOfLoop = new Dictionary<int, int>();
        try
        {
            while (instanceOfLoop.Count < 2 && peers.Count < MaxConnectionsTried)
            {
                var peer = await Peer.ConnectAsync(port);
                peers.Add(peer);
                await peer.SendAsync("?");
                var reply = (await peer.ReceiveLineAsync()).Split(':'); // instance:loop:connections:oneThread
                int instance = int.Parse(reply[0], CultureInfo.InvariantCulture);
                int loop = int.Parse(reply[1], CultureInfo.InvariantCulture);
                connectionsOfLoop[loop] = connectionsOfLoop.GetValueOrDefault(loop) + 1;

                Assert.Equal(instance, instanceOfLoop.GetValueOrDefault(loop, instance)); // a loop's connections meet its one instance
                instanceOfLoop[loop] = instance;
                Assert.Equal(connectionsOfLoop[loop], int.Parse(reply[2], CultureInfo.InvariantCulture)); // it counted exactly its loop's
                Assert.Equal("True", reply[3]);
            }

            Assert.True(instanceOfLoop.Count == 2, $"{peers.Count} connections were all served by loop {string.Join(", ", instanceOfLoop.Keys)}");
            Assert.Equal(2, instanceOfLoop.Values.Distinct().Count());
        }
        finally
        {
            peers.ForEach(p => p.Dispose());
        }

        await host.StopBoundedAsync();
        Assert.Equal(
            new[] { "close 1 True", "close 2 True", "dispose 1", "dispose 2", "listen 1", "listen 2" },
            record.Events.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SharedDriver_and_DriverPerLoop_together_fail_the_start()
    {
        using var host = BuildSpreadHost(new Dictionary<string, string?>
        {
            ["Conserv:Servers:spread:Port"] = "0",
            ["Conserv:Servers:spread:SharedDriver"] = "true",
            ["Conserv:Servers:spread:DriverPerLoop"] = "true",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartBoundedAsync);

        Assert.Contains("Conserv:Servers:spread: set SharedDriver (one driver for the server) or DriverPerLoop (one per loop), not both.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Loops_0_from_configuration_is_every_loop_of_the_group_over_the_codes_value()
    {
        using var host = BuildSpreadHost(
            new Dictionary<string, string?> { ["Conserv:Servers:spread:Port"] = "0", ["Conserv:Servers:spread:Loops"] = "0" },
            groupLoops: 3,
            configure: o => o.Loops = 1);

        await host.StartBoundedAsync();

        Assert.Equal(0, host.Services.GetRequiredService<IOptionsMonitor<ConservServerOptions>>().Get("spread").Loops);
        var listeners = host.Services.GetRequiredService<ConservServers>()["spread"];
        Assert.Equal(3, listeners.Count);
        Assert.Equal(3, listeners.Select(l => l.Loop).Distinct().Count());
        Assert.Equal(host.Services.GetRequiredService<EventLoopGroup>().Loops.ToHashSet(), listeners.Select(l => l.Loop).ToHashSet());
        await host.StopBoundedAsync();
    }

    [Fact]
    public async Task One_loop_is_the_default()
    {
        using var host = BuildSpreadHost(new Dictionary<string, string?> { ["Conserv:Servers:spread:Port"] = "0" });

        await host.StartBoundedAsync();

        Assert.Single(host.Services.GetRequiredService<ConservServers>()["spread"]);
        await host.StopBoundedAsync();
    }

    [Theory]
    [InlineData("SharedDriver", "true", "Conserv:Servers:spread:Loops must be 1 with SharedDriver, not 2")]
    [InlineData("UnixPath", "/tmp/conserv-host-loops.sock", "Conserv:Servers:spread:Loops spreads the TCP listener, and there is none (no Port)")]
    public async Task Several_loops_for_a_shared_driver_or_a_unix_socket_alone_fail_the_start(string key, string value, string message)
    {
        var settings = new Dictionary<string, string?> { ["Conserv:Servers:spread:Loops"] = "2", [$"Conserv:Servers:spread:{key}"] = value };
        if (key != "UnixPath")
        {
            settings["Conserv:Servers:spread:Port"] = "0";
        }

        using var host = BuildSpreadHost(settings);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartBoundedAsync);

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ServiceLifetime.Singleton, false, "Conserv:Servers:spread:Loops must be 1 when EchoConnection is registered as a singleton, not 2")]
    [InlineData(ServiceLifetime.Singleton, true, "Conserv:Servers:spread:Loops must be 1 when EchoConnection is registered as a singleton, not 2")]
    [InlineData(ServiceLifetime.Scoped, true, "Conserv:Servers:spread:Loops must be 1 when EchoConnection is registered as scoped and DriverPerLoop is set, not 2")]
    public async Task Several_loops_for_a_driver_registration_that_is_one_instance_fail_the_start(ServiceLifetime lifetime, bool perLoop, string message)
    {
        using var host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["Conserv:Servers:spread:Port"] = "0",
                ["Conserv:Servers:spread:Loops"] = "2",
                ["Conserv:Servers:spread:DriverPerLoop"] = perLoop ? "true" : "false",
            },
            services =>
            {
                services.AddSingleton(_ => new EventLoopGroup(2));
                services.AddConservServer<EchoConnection>("spread");
                services.Add(new ServiceDescriptor(typeof(EchoConnection), typeof(EchoConnection), lifetime)); // after the server: still seen at start
            });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartBoundedAsync);

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1", "Conserv:Servers:spread:Loops must be at least 1, or 0 for every loop of the host's EventLoopGroup, not -1.")]
    [InlineData("3", "Conserv:Servers:spread:Loops is 3, but the host's EventLoopGroup has 2 loops")]
    public async Task A_loop_count_the_group_cannot_give_fails_the_start(string loops, string message)
    {
        using var host = BuildSpreadHost(new Dictionary<string, string?> { ["Conserv:Servers:spread:Port"] = "0", ["Conserv:Servers:spread:Loops"] = loops });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartBoundedAsync);

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_listeners_of_a_spread_server_share_the_port_and_divide_the_connection_cap()
    {
        var options = new ConservServerOptions { Port = 0, MaxConnections = 10 };

        var single = ConservServerOptionsValidator.ToServerOptions(options);
        var member = ConservServerOptionsValidator.ToServerOptions(options, listeners: 3);

        Assert.False(single.ReusePort);
        Assert.Equal(10, single.MaxConnections);
        Assert.True(member.ReusePort);
        Assert.Equal(4, member.MaxConnections); // rounded up: 3 x 4 >= 10
    }

    /// <summary>A host with the server "spread" (a <see cref="LoopReporter"/> per connection) on a group of its own.</summary>
    private static Microsoft.Extensions.Hosting.IHost BuildSpreadHost(
        Dictionary<string, string?> settings, RequestGate? gate = null, LogCollector? log = null, int groupLoops = 2, Action<ConservServerOptions>? configure = null) =>
        TestHost.Build(
            settings,
            services =>
            {
                // The group is registered before the server, as docs/hosting.md says: the test does not depend on
                // the machine's processor count. The container stops it when the host is disposed.
                services.AddSingleton(_ => new EventLoopGroup(groupLoops));
                services.AddSingleton(gate ?? new RequestGate());
                services.AddConservServer<LoopReporter>("spread", configure);
            },
            log);

    /// <summary>
    /// Opens connections (at most <see cref="MaxConnectionsTried"/>, all kept open in <paramref name="peers"/>) until
    /// two different loops have served one; returns one connection per loop index seen.
    /// </summary>
    private static async Task<Dictionary<int, Peer>> ConnectUntilTwoLoopsAsync(int port, List<Peer> peers)
    {
        var served = new Dictionary<int, Peer>();
        while (served.Count < 2 && peers.Count < MaxConnectionsTried)
        {
            var peer = await Peer.ConnectAsync(port);
            peers.Add(peer);
            await peer.SendAsync("w");
            int index = int.Parse(await peer.ReceiveLineAsync(), CultureInfo.InvariantCulture);
            Assert.True(index >= 0, "the connection is served by a loop of the host's group");
            served.TryAdd(index, peer);
        }

        Assert.True(served.Count == 2, $"{peers.Count} connections were all served by loop {string.Join(", ", served.Keys)}");
        return served;
    }
}
