using System;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

public class EventOrderTests
{
    [Fact]
    public async Task Server_side_events_come_in_order_listen_connection_data_eof_close_then_server_close()
    {
        var driver = new RecordingDriver();
        var server = TcpServer.Listen(driver, port: 0);
        await driver.Log.WaitForAsync("listen");

        using (var peer = await Peer.ConnectAsync(server.Port!.Value))
        {
            await peer.SendAllAsync(Encoding.ASCII.GetBytes("hello"));
            await driver.Log.WaitForBytesAsync(5);
            peer.Shutdown(SocketShutdown.Send);
            var (rest, reset) = await peer.ReadToEndAsync();
            Assert.Empty(rest);
            Assert.False(reset);
        }

        await driver.Log.WaitForAsync("close");
        await server.DisposeAsync().WithTimeout("server close");

        var kinds = driver.Log.Events.Select(e => e.Kind).ToArray().Collapse();
        Assert.Equal(new[] { "listen", "connection", "data", "eof", "close", "serverClose" }, kinds);
        Assert.Equal("hello", Encoding.ASCII.GetString(driver.Log.BytesOf()));
        Assert.Null(driver.Log.First("close").Error);
    }

    [Fact]
    public async Task Client_side_events_come_in_order_connect_data_eof_close()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var driver = new RecordingDriver();
        var client = TcpSocket.Connect(driver, "127.0.0.1", port);
        using (var accepted = await listener.AcceptSocketAsync().WithTimeout("accept"))
        {
            await driver.Log.WaitForAsync("connect");
            await accepted.SendAllAsync(Encoding.ASCII.GetBytes("from server"));
            await driver.Log.WaitForBytesAsync(11);
            accepted.Shutdown(SocketShutdown.Send);
            await client.Closed.WithTimeout("client close");
        }

        Assert.Equal(new[] { "connect", "data", "eof", "close" }, driver.Log.KindsOf(client).Collapse());
        Assert.Equal("from server", Encoding.ASCII.GetString(driver.Log.BytesOf(client)));
    }

    [Fact]
    public async Task Connect_fires_only_once_the_connection_is_established()
    {
        var serverDriver = new RecordingDriver();
        await using var server = TcpServer.Listen(serverDriver, port: 0);
        bool? establishedAtConnect = null;
        var driver = new RecordingDriver
        {
            OnConnect = s =>
            {
                // Established: the kernel knows our local port, and the server has (or will) accept it.
                establishedAtConnect = s.LocalPort is > 0 && s.RemotePort == server.Port;
                s.Write(Encoding.ASCII.GetBytes("x"));
                return default;
            },
        };
        var client = TcpSocket.Connect(driver, "127.0.0.1", server.Port!.Value);
        await driver.Log.WaitForAsync("connect");
        await serverDriver.Log.WaitForBytesAsync(1);
        Assert.True(establishedAtConnect);
        await client.DisposeAsync().WithTimeout("client close");
    }

    [Fact]
    public async Task Close_fires_exactly_once_and_last_after_an_unhandled_handler_error()
    {
        var driver = new RecordingDriver { OnData = (_, _) => throw new CustomTestException("boom") };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[] { 1 });
        var socket = await driver.Log.SocketOfFirstAsync("close");
        await socket.Loop.Barrier();

        Assert.Equal(new[] { "connection", "data", "error", "close" }, driver.Log.KindsOf(socket));
        Assert.IsType<CustomTestException>(driver.Log.First("close").Error);
    }

    [Fact]
    public async Task Close_fires_exactly_once_and_last_after_an_abort()
    {
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Abort();
                Assert.True(s.IsClosed); // on the loop thread, Close has fired when Abort returns
                s.Abort();
                s.Close();
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[] { 1, 2, 3 });
        var socket = await driver.Log.SocketOfFirstAsync("close");
        await peer.ReadToEndAsync();
        await socket.Loop.Barrier();

        Assert.Equal(new[] { "connection", "data", "close" }, driver.Log.KindsOf(socket));
    }

    [Fact]
    public async Task A_failed_connect_fires_error_then_close_and_nothing_after()
    {
        var driver = new RecordingDriver();
        var client = TcpSocket.Connect(driver, "127.0.0.1", Peer.UnusedPort());
        await client.Closed.WithTimeout("close after failed connect");
        await client.Loop.Barrier();

        Assert.Equal(new[] { "error", "close" }, driver.Log.KindsOf(client));
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        Assert.Same(error, driver.Log.First("close").Error);
    }

    [Fact]
    public async Task Server_close_closes_each_client_once_before_the_server_close_event()
    {
        var driver = new RecordingDriver();
        var server = TcpServer.Listen(driver, port: 0);
        var peers = new Socket[3];
        for (int i = 0; i < peers.Length; i++)
        {
            peers[i] = await Peer.ConnectAsync(server.Port!.Value);
        }

        await driver.Log.WaitForAsync("connection", 3);
        await server.DisposeAsync().WithTimeout("server close");

        var events = driver.Log.Events;
        var clients = events.Where(e => e.Kind == "connection").Select(e => e.Socket!).ToArray();
        foreach (var client in clients)
        {
            Assert.Equal(new[] { "connection", "close" }, driver.Log.KindsOf(client));
        }

        Assert.Equal("serverClose", events[^1].Kind);
        Assert.Equal(1, driver.Log.Count("serverClose"));
        foreach (var peer in peers)
        {
            var (_, reset) = await peer.ReadToEndAsync();
            Assert.False(reset);
            peer.Dispose();
        }
    }

    [Fact]
    public async Task Close_handler_receives_null_cause_for_an_orderly_close()
    {
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        peer.Shutdown(SocketShutdown.Send);
        await driver.Log.WaitForAsync("close");
        Assert.Null(driver.Log.First("close").Error);
    }
}
