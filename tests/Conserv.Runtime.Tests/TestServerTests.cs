using System;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using Conserv.Testing;

namespace Conserv.Runtime.Tests;

/// <summary>A server driver on the in-memory network: server events, limits and the graceful close, as over a real listener.</summary>
public class TestServerTests
{
    [Fact]
    public async Task A_server_greets_each_client_serves_it_and_turns_away_those_over_MaxConnections()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver
        {
            OnConnection = (_, client) =>
            {
                client.Write("hello\n"u8);
                return default;
            },
            OnData = (s, d) =>
            {
                s.Write(d.Span);
                return default;
            },
        };
        var server = await network.ListenAsync(driver, new TcpServerOptions { MaxConnections = 2 });
        Assert.Equal(1, driver.Log.Count("listen"));

        var first = await server.ConnectAsync();
        var second = await server.ConnectAsync();
        var third = await server.ConnectAsync();

        Assert.Equal("hello", await first.ReceiveLineAsync());
        Assert.Equal("hello", await second.ReceiveLineAsync());
        Assert.True(third.WasTurnedAway);
        Assert.True(third.EndReceived);
        Assert.Equal(1, server.Server.RejectedConnections);
        Assert.Equal(2, driver.Log.Count("connection"));

        first.Send("ping"u8);
        Assert.Equal("ping"u8.ToArray(), await first.ReceiveAsync(4));
        Assert.Same(server.Server, first.Socket.Server);
        Assert.Equal(7000, first.Socket.LocalPort);

        // One leaves: the next client is served again.
        first.Close();
        await first.Closed.WaitAsync(EventLog.DefaultTimeout);
        await network.SettleAsync();
        var fourth = await server.ConnectAsync();
        Assert.False(fourth.WasTurnedAway);
        Assert.Equal("hello", await fourth.ReceiveLineAsync());
    }

    [Fact]
    public async Task Per_address_limits_count_the_clients_own_address()
    {
        await using var network = new TestNetwork();
        var server = await network.ListenAsync(RecordingDriver.Echo(), new TcpServerOptions { MaxConnectionsPerAddress = 1 });
        var a = IPAddress.Parse("10.0.0.1");

        Assert.False((await server.ConnectAsync(a)).WasTurnedAway);
        Assert.True((await server.ConnectAsync(a)).WasTurnedAway);
        Assert.False((await server.ConnectAsync(IPAddress.Parse("10.0.0.2"))).WasTurnedAway);
        Assert.Equal(1, server.Server.RejectedConnections);
    }

    [Fact]
    public async Task Closing_the_server_closes_its_clients_after_their_output_and_its_close_event_comes_last()
    {
        await using var network = new TestNetwork();
        var driver = RecordingDriver.Echo();
        var server = await network.ListenAsync(driver);
        var peer = await server.ConnectAsync();
        await network.Loop.OnLoopAsync(() => peer.Socket.Write("bye"u8));

        server.Server.Close();

        Assert.Equal("bye"u8.ToArray(), await peer.ReceiveToEndAsync());
        await network.SettleAsync();
        Assert.Equal("serverClose", driver.Log.Events.Last().Kind);
        Assert.True((await server.ConnectAsync()).WasTurnedAway); // no longer listening
    }

    [Fact]
    public async Task A_TLS_server_in_memory_sends_its_greeting_encrypted_after_the_handshake()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver
        {
            OnConnection = (_, client) =>
            {
                client.Write("welcome\n"u8);
                return default;
            },
        };
        var server = await network.ListenAsync(driver, new TcpServerOptions { Tls = TestCertificates.ServerOptions() });
        var peer = await server.ConnectAsync();
        using var ssl = new System.Net.Security.SslStream(peer.AsStream());
        await ssl.AuthenticateAsClientAsync(TestCertificates.ClientOptions()).WaitAsync(EventLog.DefaultTimeout);

        var greeting = new byte[8];
        await ssl.ReadExactlyAsync(greeting).AsTask().WaitAsync(EventLog.DefaultTimeout);
        Assert.Equal("welcome\n"u8.ToArray(), greeting);
        Assert.Equal(1, driver.Log.Count("connect")); // after the handshake
    }
}
