using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using Conserv.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Conserv.Hosting.Tests;

/// <summary>Options come from code and configuration, are checked when the host starts, and reach the runtime.</summary>
public sealed class ConfigurationTests
{
    [Fact]
    public async Task Code_sets_defaults_configuration_overrides_them_and_the_limits_reach_the_server()
    {
        using var occupied = OccupyPort(out int busyPort);
        using var host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["Conserv:Servers:echo:Port"] = "0",           // over the code's port, which is taken
                ["Conserv:Servers:echo:IdleTimeout"] = "00:10:00",
            },
            services => services.AddConservServer<EchoConnection>("echo", o =>
            {
                o.Port = busyPort;
                o.MaxConnections = 1;                           // configuration says nothing: the code's value holds
            }));

        await host.StartBoundedAsync();
        var server = host.Services.GetRequiredService<ConservServers>()["echo"][0];
        var options = host.Services.GetRequiredService<IOptionsMonitor<ConservServerOptions>>().Get("echo");
        Assert.NotEqual(busyPort, server.Port);
        Assert.Equal(TimeSpan.FromMinutes(10), options.IdleTimeout);

        using var first = await Peer.ConnectAsync(server.Port!.Value);
        await first.SendAsync("one");
        Assert.Equal("one", await first.ReceiveAsync(3));
        using var second = await Peer.ConnectAsync(server.Port!.Value);
        Assert.Equal("", await second.ReceiveToEndAsync()); // beyond MaxConnections = 1: accepted and closed at once
        Assert.Equal(1, server.RejectedConnections);

        await host.StopBoundedAsync();
    }

    [Fact]
    public async Task Options_chained_on_the_builder_have_the_last_word()
    {
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:echo:Port"] = "1" },
            services => services.AddConservServer<EchoConnection>("echo").Configure(o => o.Port = 0));

        await host.StartBoundedAsync();

        Assert.NotEqual(1, host.Services.GetRequiredService<ConservServers>()["echo"][0].Port);
        await host.StopBoundedAsync();
    }

    [Fact]
    public async Task Bad_values_fail_the_start_with_a_message_naming_each_key()
    {
        using var host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["Conserv:Servers:echo:Port"] = "70000",
                ["Conserv:Servers:echo:OutputHighWaterMark"] = "1000",
                ["Conserv:Servers:echo:OutputLowWaterMark"] = "2000",
                ["Conserv:Servers:echo:Backlog"] = "0",
                ["Conserv:Servers:echo:TextEncoding"] = "klingon",
            },
            services => services.AddConservServer<EchoConnection>("echo"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartBoundedAsync);

        Assert.Contains("Conserv:Servers:echo:Port must be from 0 to 65535", error.Message, StringComparison.Ordinal);
        Assert.Contains("Conserv:Servers:echo:OutputLowWaterMark (2000) must not be above Conserv:Servers:echo:OutputHighWaterMark (1000)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Conserv:Servers:echo:Backlog must be at least 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("Conserv:Servers:echo:TextEncoding", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_with_neither_port_nor_unix_path_fails_the_start()
    {
        using var host = TestHost.Build(new Dictionary<string, string?>(), services => services.AddConservServer<EchoConnection>("nowhere"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartBoundedAsync);

        Assert.Contains("Conserv:Servers:nowhere: set Port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_misspelt_key_fails_the_start_naming_it()
    {
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:echo:Port"] = "0", ["Conserv:Servers:echo:MaxConections"] = "10" },
            services => services.AddConservServer<EchoConnection>("echo"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(host.StartBoundedAsync);

        Assert.Contains("MaxConections", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_fails_the_start_naming_its_key()
    {
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:echo:Port"] = "seven thousand" },
            services => services.AddConservServer<EchoConnection>("echo"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(host.StartBoundedAsync);

        Assert.Contains("Conserv:Servers:echo:Port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_fails_the_start_and_closes_the_servers_already_listening()
    {
        using var occupied = OccupyPort(out int busyPort);
        string path = Path.Combine(Path.GetTempPath(), $"conserv-host-{Guid.NewGuid().ToString("N")[..8]}.sock");
        using var host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["Conserv:Servers:first:UnixPath"] = path,
                ["Conserv:Servers:second:Port"] = busyPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            services =>
            {
                services.AddConservServer<EchoConnection>("first");
                services.AddConservServer<EchoConnection>("second");
            });

        var error = await Assert.ThrowsAsync<IOException>(host.StartBoundedAsync);

        Assert.Contains($"Conserv server 'second' cannot listen on 127.0.0.1:{busyPort}", error.Message, StringComparison.Ordinal);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
        Assert.False(File.Exists(path), "the server that had started is closed again (its socket file removed)");
    }

    [Fact]
    public async Task A_unix_path_where_a_regular_file_is_fails_the_start()
    {
        string path = Path.Combine(Path.GetTempPath(), $"conserv-host-{Guid.NewGuid().ToString("N")[..8]}.sock");
        await File.WriteAllTextAsync(path, "not a socket");
        try
        {
            using var host = TestHost.Build(
                new Dictionary<string, string?> { ["Conserv:Servers:local:UnixPath"] = path },
                services => services.AddConservServer<EchoConnection>("local"));

            var error = await Assert.ThrowsAsync<IOException>(host.StartBoundedAsync);

            Assert.Contains($"Conserv server 'local' cannot listen on unix:{path}", error.Message, StringComparison.Ordinal);
            Assert.Equal("not a socket", await File.ReadAllTextAsync(path)); // never touched
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Two_servers_cannot_share_a_name()
    {
        var services = new ServiceCollection();
        services.AddConservServer<EchoConnection>("echo");

        var error = Assert.Throws<ArgumentException>(() => services.AddConservServer<EchoConnection>("echo"));

        Assert.Contains("'echo' is already registered", error.Message, StringComparison.Ordinal);
    }

    private static Socket OccupyPort(out int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        return listener;
    }
}
