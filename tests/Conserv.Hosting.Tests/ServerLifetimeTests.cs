using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Conserv.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Conserv.Hosting.Tests;

/// <summary>Servers start with the host, serve real sockets, and are gone when it stops.</summary>
public sealed class ServerLifetimeTests
{
    [Fact]
    public async Task A_server_starts_with_the_host_echoes_over_tcp_and_stops_with_it()
    {
        var log = new LogCollector();
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:echo:Port"] = "0" },
            services => services.AddConservServer<EchoConnection>("echo"),
            log);

        await host.StartBoundedAsync();
        var server = host.Services.GetRequiredService<ConservServers>()["echo"].Single();
        int port = server.Port!.Value;
        using (var peer = await Peer.ConnectAsync(port))
        {
            await peer.SendAsync("hello, host\n");
            Assert.Equal("hello, host\n", await peer.ReceiveAsync(12));
        }

        await host.StopBoundedAsync();

        Assert.True(server.IsClosed);
        Assert.True(await Peer.IsRefusedAsync(port), "nothing listens once the host has stopped");
        Assert.Contains(log.Entries, e => e.EventName == "ServerListening" && e.Message.Contains($"127.0.0.1:{port}", StringComparison.Ordinal));
        Assert.Contains(log.Entries, e => e.EventName == "ServerClosed");
    }

    [Fact]
    public async Task A_unix_socket_server_serves_and_its_socket_file_is_removed_when_the_host_stops()
    {
        string path = Path.Combine(Path.GetTempPath(), $"conserv-host-{Guid.NewGuid().ToString("N")[..8]}.sock");
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:local:UnixPath"] = path, ["Conserv:Servers:local:UnixSocketMode"] = "600" },
            services => services.AddConservServer<EchoConnection>("local"));

        await host.StartBoundedAsync();
        Assert.True(File.Exists(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        using (var peer = await Peer.ConnectUnixAsync(path))
        {
            await peer.SendAsync("über unix\n");
            Assert.Equal("über unix\n", await peer.ReceiveAsync(11));
        }

        await host.StopBoundedAsync();

        Assert.False(File.Exists(path), "the socket file is removed when the server closes");
    }

    [Fact]
    public async Task One_server_can_listen_on_tcp_and_a_unix_socket_at_once()
    {
        string path = Path.Combine(Path.GetTempPath(), $"conserv-host-{Guid.NewGuid().ToString("N")[..8]}.sock");
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:both:Port"] = "0", ["Conserv:Servers:both:UnixPath"] = path },
            services => services.AddConservServer<EchoConnection>("both"));
        await host.StartBoundedAsync();

        var listeners = host.Services.GetRequiredService<ConservServers>()["both"];
        Assert.Equal(2, listeners.Count);
        Assert.False(listeners[0].IsLocal);
        Assert.True(listeners[1].IsLocal);
        using var overTcp = await Peer.ConnectAsync(listeners[0].Port!.Value);
        using var overUnix = await Peer.ConnectUnixAsync(path);
        await overTcp.SendAsync("tcp");
        await overUnix.SendAsync("unix");
        Assert.Equal("tcp", await overTcp.ReceiveAsync(3));
        Assert.Equal("unix", await overUnix.ReceiveAsync(4));

        await host.StopBoundedAsync();
    }

    [Fact]
    public async Task Each_connection_gets_its_own_driver_from_a_new_scope_which_is_disposed_after_the_close()
    {
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:numbered:Port"] = "0" },
            services =>
            {
                services.AddSingleton<InstanceCounter>();
                services.AddSingleton<DisposalLog>();
                services.AddScoped<ConnectionResource>();
                services.AddConservServer<NumberedConnection>("numbered");
            });
        await host.StartBoundedAsync();
        int port = host.Services.GetRequiredService<ConservServers>()["numbered"][0].Port!.Value;

        using var first = await Peer.ConnectAsync(port);
        using var second = await Peer.ConnectAsync(port);
        await first.SendAsync("?");
        string firstReply = (await first.ReceiveAsync(4)).TrimEnd('\n'); // "n:r\n" with one-digit numbers in a fresh host
        await second.SendAsync("?");
        string secondReply = (await second.ReceiveAsync(4)).TrimEnd('\n');
        await first.SendAsync("again");
        string firstAgain = (await first.ReceiveAsync(4)).TrimEnd('\n');

        Assert.Equal(firstReply, firstAgain); // the same instance serves a connection for its whole life
        Assert.NotEqual(firstReply.Split(':')[0], secondReply.Split(':')[0]); // another connection, another instance
        Assert.NotEqual(firstReply.Split(':')[1], secondReply.Split(':')[1]); // and another scope
        Assert.Equal(2, host.Services.GetRequiredService<InstanceCounter>().Made);

        // The first connection's scope is disposed once it closes; the second's is still in use.
        var disposals = host.Services.GetRequiredService<DisposalLog>();
        first.Dispose();
        await disposals.Disposed(int.Parse(firstReply.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)).WaitAsync(TestHost.Timeout);
        Assert.False(disposals.Disposed(int.Parse(secondReply.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)).IsCompleted);

        await host.StopBoundedAsync();
        await disposals.Disposed(int.Parse(secondReply.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)).WaitAsync(TestHost.Timeout);
    }

    [Fact]
    public async Task A_shared_driver_receives_the_server_events_and_every_connection()
    {
        var shared = new SharedCounter();
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:counter:Port"] = "0", ["Conserv:Servers:counter:SharedDriver"] = "true" },
            services =>
            {
                services.AddSingleton(shared);
                services.AddConservServer<SharedCounter>("counter");
            });
        await host.StartBoundedAsync();
        await shared.Listened.Task.WaitAsync(TestHost.Timeout);
        int port = host.Services.GetRequiredService<ConservServers>()["counter"][0].Port!.Value;

        using var first = await Peer.ConnectAsync(port);
        await first.SendAsync("?");
        Assert.Equal("1\n", await first.ReceiveAsync(2));
        using var second = await Peer.ConnectAsync(port);
        await second.SendAsync("?");
        Assert.Equal("2\n", await second.ReceiveAsync(2)); // the same instance counted both connections
        await first.SendAsync("?");
        Assert.Equal("2\n", await first.ReceiveAsync(2));

        await host.StopBoundedAsync();
        Assert.True(shared.Closed.Task.IsCompleted, "the server's close event reached the shared driver before the host stopped");
    }

    [Fact]
    public async Task A_driver_that_cannot_be_made_drops_that_connection_and_the_server_goes_on()
    {
        var log = new LogCollector();
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:broken:Port"] = "0" },
            services => services.AddConservServer<NeedsMissingService>("broken"),
            log);
        await host.StartBoundedAsync();
        var servers = host.Services.GetRequiredService<ConservServers>();
        var broken = servers["broken"][0];

        for (int i = 0; i < 2; i++)
        {
            using var peer = await Peer.ConnectAsync(broken.Port!.Value);
            await peer.SendAsync("anyone?");
            Assert.Equal("", await peer.ReceiveToEndAsync());
        }

        Assert.False(broken.IsClosed, "a connection's failure must not close its server");
        Assert.Equal(2, log.Entries.Count(e => e.EventName == "DriverCreationFailed" && e.Exception is InvalidOperationException));
        await host.StopBoundedAsync();
    }

    [Fact]
    public async Task A_per_connection_drivers_failing_connection_handler_drops_only_its_connection()
    {
        var log = new LogCollector();
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:picky:Port"] = "0" },
            services =>
            {
                services.AddSingleton<InstanceCounter>();
                services.AddConservServer<PickyConnection>("picky");
            },
            log);
        await host.StartBoundedAsync();
        var server = host.Services.GetRequiredService<ConservServers>()["picky"][0];

        // One after the other: the first is served, the second refused, the third served again.
        using (var first = await Peer.ConnectAsync(server.Port!.Value))
        {
            await first.SendAsync("one");
            Assert.Equal("one", await first.ReceiveAsync(3));
        }

        using (var second = await Peer.ConnectAsync(server.Port!.Value))
        {
            await second.SendAsync("two");
            Assert.Equal("", await second.ReceiveToEndAsync());
        }

        using (var third = await Peer.ConnectAsync(server.Port!.Value))
        {
            await third.SendAsync("three");
            Assert.Equal("three", await third.ReceiveAsync(5));
        }

        Assert.False(server.IsClosed, "a connection handler's failure must not close the server");
        Assert.Contains(log.Entries, e => e.EventName == "ConnectionHandlerFailed" && e.Exception?.Message == "every second connection is not welcome");
        await host.StopBoundedAsync();
    }

    [Fact]
    public async Task An_exception_no_handler_takes_is_logged_through_the_host()
    {
        var log = new LogCollector();
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:broken:Port"] = "0" },
            services => services.AddConservServer<DoublyBrokenConnection>("broken"),
            log);
        await host.StartBoundedAsync();
        using var peer = await Peer.ConnectAsync(host.Services.GetRequiredService<ConservServers>()["broken"][0].Port!.Value);

        await peer.SendAsync("request");
        Assert.Equal("", await peer.ReceiveToEndAsync()); // the connection is dropped

        var entry = Assert.Single(log.Entries, e => e.EventName == "UnhandledException");
        Assert.Equal("the error handler failed too", entry.Exception?.Message);
        await host.StopBoundedAsync();
    }
}
