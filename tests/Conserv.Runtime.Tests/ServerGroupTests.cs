using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>
/// <see cref="TcpServer.Listen(Func{IEventDriver}, string, int, ExternalFormat, ExternalFormat, EventLoopGroup?, TcpServerOptions?)"/>:
/// one server per loop of a group on one port, and what <see cref="TcpServerGroup"/> does to all of them.
/// </summary>
public class ServerGroupTests
{
    [Fact]
    public async Task A_group_listens_with_one_server_and_one_driver_per_loop_on_one_port_and_counts_all_their_clients()
    {
        using var loops = new EventLoopGroup(2);
        var drivers = new List<RecordingDriver>();
        await using var group = TcpServer.Listen(() =>
        {
            var d = RecordingDriver.Echo();
            drivers.Add(d);
            return d;
        }, port: 0, group: loops);

        Assert.Equal(2, group.Servers.Count);
        Assert.Equal(new[] { loops.Loops[0], loops.Loops[1] }, group.Servers.Select(s => s.Loop).ToArray());
        Assert.All(group.Servers, s => Assert.Equal(group.Port, s.Port));
        Assert.Equal(2, drivers.Distinct().Count());
        Assert.Equal(new[] { drivers[0], drivers[1] }, group.Servers.Select(s => s.Driver).ToArray());

        // The kernel spreads connections over the listeners (SO_REUSEPORT): with 24, both get some.
        var peers = new List<Socket>();
        for (int i = 0; i < 24; i++)
        {
            peers.Add(await Peer.ConnectAsync(group.Port!.Value));
        }

        await Poll.UntilAsync(() => Task.FromResult(group.ClientCount == 24), "every client to be accepted");
        Assert.All(group.Servers, s => Assert.True(s.ClientCount > 0, "one listener got no client"));
        peers.ForEach(p => p.Dispose());
    }

    [Fact]
    public async Task A_groups_options_apply_to_each_of_its_servers()
    {
        using var loops = new EventLoopGroup(1);
        var driver = RecordingDriver.Echo();
        await using var group = TcpServer.Listen(() => driver, port: 0, group: loops, options: new TcpServerOptions { MaxConnectionsPerAddress = 1 });

        using var first = await Peer.ConnectAsync(group.Port!.Value);
        await driver.Log.WaitForAsync("connection");
        using var second = await Peer.ConnectAsync(group.Port!.Value); // the same address: turned away
        var (data, _) = await second.ReadToEndAsync();
        Assert.Empty(data);
        Assert.Equal(1, group.ClientCount);
    }

    [Fact]
    public async Task Pause_Resume_and_Close_reach_every_server_of_the_group()
    {
        using var loops = new EventLoopGroup(2);
        var drivers = new List<RecordingDriver>();
        var group = TcpServer.Listen(() =>
        {
            var d = RecordingDriver.Echo();
            drivers.Add(d);
            return d;
        }, port: 0, group: loops);
        await Task.WhenAll(drivers.Select(d => d.Log.WaitForAsync("listen")));

        group.Pause();
        await Poll.UntilAsync(() => Task.FromResult(group.Servers.All(s => s.IsPaused)), "every server to pause");
        group.Resume();
        await Poll.UntilAsync(() => Task.FromResult(group.Servers.All(s => !s.IsPaused)), "every server to resume");
        group.Pause(TimeSpan.FromMilliseconds(50));
        await Poll.UntilAsync(() => Task.FromResult(group.Servers.All(s => !s.IsPaused)), "every timed pause to end");

        group.Close(TimeSpan.FromSeconds(5));
        await group.Closed.WithTimeout("every server of the group to close");
        Assert.All(group.Servers, s => Assert.True(s.IsClosed));
        Assert.All(drivers, d => Assert.Equal(1, d.Log.Count("serverClose")));
    }

    [Fact]
    public async Task Close_and_DisposeAsync_close_every_server_of_the_group()
    {
        using var loops = new EventLoopGroup(2);
        var group = TcpServer.Listen(() => RecordingDriver.Echo(), port: 0, group: loops);
        group.Close();
        await group.Closed.WithTimeout("every server to close");
        Assert.All(group.Servers, s => Assert.True(s.IsClosed));

        var disposed = TcpServer.Listen(() => RecordingDriver.Echo(), port: 0, group: loops);
        await disposed.DisposeAsync().AsTask().WithTimeout("every server to close");
        Assert.All(disposed.Servers, s => Assert.True(s.IsClosed));
    }

    [Fact]
    public async Task A_factory_that_returns_null_is_refused_and_the_servers_already_started_are_closed()
    {
        using var loops = new EventLoopGroup(2);
        var first = new RecordingDriver();
        int calls = 0;
        var e = Assert.Throws<ArgumentNullException>(() => TcpServer.Listen(() => calls++ == 0 ? first : null!, port: 0, group: loops));
        Assert.Equal("driverFactory", e.ParamName);
        Assert.StartsWith("The driver factory returned null.", e.Message);
        await first.Log.WaitForAsync("serverClose"); // the first loop's server does not stay open
    }
}
