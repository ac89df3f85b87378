using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Conserv.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Conserv.Hosting.Tests;

/// <summary>Stopping the host drains connections gracefully, within the host's shutdown timeout.</summary>
public sealed class StopTests
{
    [Fact]
    public async Task Stopping_the_host_lets_a_request_in_progress_send_its_reply_before_the_connection_closes()
    {
        var gate = new ReplyGate();
        var log = new LogCollector();
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:slow:Port"] = "0", ["Conserv:Servers:slow:DrainTimeout"] = "00:01:00" },
            services =>
            {
                services.AddSingleton(gate);
                services.AddConservServer<SlowReplyConnection>("slow");
            },
            log);
        await host.StartBoundedAsync();
        int port = host.Services.GetRequiredService<ConservServers>()["slow"][0].Port!.Value;
        using var peer = await Peer.ConnectAsync(port);
        await peer.SendAsync("request");
        await gate.Waiting.Task.WaitAsync(TestHost.Timeout);

        var stopping = host.StopAsync();
        await Peer.WaitUntilRefusedAsync(port); // the server has stopped accepting: the drain has begun
        Assert.False(stopping.IsCompleted, "the host waits for the request in progress");
        gate.Release.TrySetResult();

        Assert.Equal("reply\n", await peer.ReceiveToEndAsync()); // the reply, then an orderly end
        await stopping.WaitAsync(TestHost.Timeout);
        Assert.DoesNotContain(log.Entries, e => e.EventName == "DrainCutShort");
    }

    [Fact]
    public async Task The_hosts_shutdown_timeout_cuts_a_long_drain_short_and_aborts_what_is_left()
    {
        var gate = new ReplyGate();
        var log = new LogCollector();
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:slow:Port"] = "0", ["Conserv:Servers:slow:DrainTimeout"] = "01:00:00" },
            services =>
            {
                services.AddSingleton(gate);
                services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(200));
                services.AddConservServer<SlowReplyConnection>("slow");
            },
            log);
        await host.StartBoundedAsync();
        int port = host.Services.GetRequiredService<ConservServers>()["slow"][0].Port!.Value;
        using var peer = await Peer.ConnectAsync(port);
        await peer.SendAsync("request");
        await gate.Waiting.Task.WaitAsync(TestHost.Timeout);

        try
        {
            // Bounded by the test's 30 s, far below the hour-long drain: the host's timeout is what ends it.
            await host.StopBoundedAsync();

            Assert.Equal("", await peer.ReceiveToEndAsync()); // aborted: no reply
            Assert.Contains(log.Entries, e => e.EventName == "DrainCutShort");
            Assert.True(host.Services.GetRequiredService<EventLoopGroup>().Loops.Count > 0);
        }
        finally
        {
            gate.Release.TrySetResult();
        }
    }

    [Fact]
    public async Task A_server_aborts_what_is_left_after_its_own_drain_timeout_well_within_the_hosts()
    {
        var gate = new ReplyGate();
        var log = new LogCollector();
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:slow:Port"] = "0", ["Conserv:Servers:slow:DrainTimeout"] = "00:00:00.200" },
            services =>
            {
                services.AddSingleton(gate);
                services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromHours(1));
                services.AddConservServer<SlowReplyConnection>("slow");
            },
            log);
        await host.StartBoundedAsync();
        int port = host.Services.GetRequiredService<ConservServers>()["slow"][0].Port!.Value;
        using var peer = await Peer.ConnectAsync(port);
        await peer.SendAsync("request");
        await gate.Waiting.Task.WaitAsync(TestHost.Timeout);

        try
        {
            // The handler never finishes and the host would wait an hour: only the server's drain timeout ends this.
            await host.StopBoundedAsync();

            Assert.Equal("", await peer.ReceiveToEndAsync());
            Assert.DoesNotContain(log.Entries, e => e.EventName == "DrainCutShort");
        }
        finally
        {
            gate.Release.TrySetResult();
        }
    }
}
