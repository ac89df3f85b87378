using System;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

public class ServerTests
{
    [Fact]
    public async Task Listen_on_a_port_in_use_throws_SocketException_at_the_call_with_no_events()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int port = ((IPEndPoint)holder.LocalEndpoint).Port;

        var driver = new RecordingDriver();
        var e = Assert.Throws<SocketException>(() => TcpServer.Listen(driver, port: port));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.Contains($"listen on 127.0.0.1:{port}", e.Message);

        await using var first = TcpServer.Listen(driver, port: 0);
        var e2 = Assert.Throws<SocketException>(() => TcpServer.Listen(new RecordingDriver(), port: first.Port!.Value));
        Assert.Equal(SocketError.AddressAlreadyInUse, e2.SocketErrorCode);
        await driver.Log.WaitForAsync("listen");
        await first.Loop.Barrier();
        Assert.Equal(1, driver.Log.Count("listen"));
    }

    [Fact]
    public void Listen_and_Connect_validate_their_arguments()
    {
        var driver = new RecordingDriver();
        Assert.Equal("driver", Assert.Throws<ArgumentNullException>(() => TcpServer.Listen((IEventDriver)null!, port: 0)).ParamName);
        Assert.Equal("driverFactory", Assert.Throws<ArgumentNullException>(() => TcpServer.Listen((Func<IEventDriver>)null!, port: 0)).ParamName);
        Assert.Equal("port", Assert.Throws<ArgumentOutOfRangeException>(() => TcpServer.Listen(driver, port: 65536)).ParamName);
        Assert.Equal("port", Assert.Throws<ArgumentOutOfRangeException>(() => TcpServer.Listen(driver, port: -1)).ParamName);
        Assert.Equal("host", Assert.Throws<ArgumentNullException>(() => TcpServer.Listen(driver, host: null!)).ParamName);
        Assert.Equal("host", Assert.ThrowsAny<ArgumentException>(() => TcpServer.Listen(driver, host: "")).ParamName);
        Assert.Equal("driver", Assert.Throws<ArgumentNullException>(() => TcpServer.ListenUnix(null!, "/tmp/x.sock")).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentNullException>(() => TcpServer.ListenUnix(driver, null!)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => TcpServer.ListenUnix(driver, "/tmp/" + new string('x', 200))).ParamName);

        Assert.Equal("driver", Assert.Throws<ArgumentNullException>(() => TcpSocket.Connect(null!, "127.0.0.1", 80)).ParamName);
        Assert.Equal("host", Assert.Throws<ArgumentNullException>(() => TcpSocket.Connect(driver, null!, 80)).ParamName);
        Assert.Equal("port", Assert.Throws<ArgumentOutOfRangeException>(() => TcpSocket.Connect(driver, "127.0.0.1", 0)).ParamName);
        Assert.Equal("port", Assert.Throws<ArgumentOutOfRangeException>(() => TcpSocket.Connect(driver, "127.0.0.1", 65536)).ParamName);
        Assert.Equal("driver", Assert.Throws<ArgumentNullException>(() => TcpSocket.ConnectUnix(null!, "/tmp/x.sock")).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => TcpSocket.ConnectUnix(driver, "")).ParamName);

        Assert.Equal("setup", Assert.Throws<ArgumentNullException>(() => EventLoop.Run(null!)).ParamName);
        Assert.Empty(driver.Log.Events);
    }

    [Fact]
    public async Task Listen_takes_localhost_in_any_case_a_local_host_name_and_the_highest_port_and_names_what_it_refuses()
    {
        var driver = new RecordingDriver();
        foreach (string host in new[] { "localhost", "LocalHost" })
        {
            await using var server = TcpServer.Listen(driver, host: host, port: 0);
            Assert.Equal("127.0.0.1", server.LocalName);
        }

        // The machine's own name resolves to one of its addresses (here through /etc/hosts).
        await using (var named = TcpServer.Listen(driver, host: Dns.GetHostName(), port: 0))
        {
            Assert.Equal(Dns.GetHostAddresses(Dns.GetHostName())[0].ToString(), named.LocalName);
        }

        var unknown = Assert.Throws<ArgumentException>(() => TcpServer.Listen(driver, host: "no-such-host.invalid", port: 0));
        Assert.Equal("host", unknown.ParamName);
        Assert.StartsWith("'no-such-host.invalid' is not an IP address and names no local address.", unknown.Message);

        var port = Assert.Throws<ArgumentOutOfRangeException>(() => TcpServer.Listen(driver, port: 65536));
        Assert.StartsWith("The port must be between 0 and 65535.", port.Message);
        var highest = Record.Exception(() => TcpServer.Listen(driver, port: 65535).Close());
        Assert.True(highest is null or SocketException, $"port 65535 refused as an argument: {highest}"); // free, or in use: not out of range
    }

    [Fact]
    public async Task A_server_listens_again_at_once_on_the_port_of_a_closed_one_whose_connections_wait_in_TIME_WAIT()
    {
        // The server side closes first, so its end of the connection stays in TIME_WAIT for a minute: binding the
        // port again needs SO_REUSEADDR.
        var driver = new RecordingDriver { OnConnection = (_, c) => { c.Close(); return default; } };
        var first = TcpServer.Listen(driver, port: 0);
        int port = first.Port!.Value;
        using (var peer = await Peer.ConnectAsync(port))
        {
            await peer.ReadToEndAsync();
        }

        await driver.Log.WaitForAsync("close");
        await first.DisposeAsync().AsTask().WithTimeout("the first server to close");

        await using var second = TcpServer.Listen(RecordingDriver.Echo(), port: port);
        using var again = await Peer.ConnectAsync(port);
        await again.SendAllAsync("again"u8.ToArray());
        Assert.Equal("again"u8.ToArray(), await again.ReadExactlyAsync(5));
    }

    [Fact]
    public async Task A_connection_handler_that_pauses_the_server_leaves_the_other_waiting_clients_in_the_backlog()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            OnConnection = (s, _) =>
            {
                s.Pause(); // in the middle of the server's accepts of this turn
                return default;
            },
        };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        await driver.Log.WaitForAsync("listen");
        var peers = new System.Collections.Generic.List<Socket>();
        using (await loop.HoldAsync()) // all three wait in the backlog before the server looks
        {
            for (int i = 0; i < 3; i++)
            {
                peers.Add(await Peer.ConnectAsync(server.Port!.Value));
            }
        }

        await driver.Log.WaitForAsync("connection");
        await loop.Loop.Barrier();
        Assert.Equal(1, driver.Log.Count("connection"));

        server.Resume(); // each connection pauses it again: one more per resume
        await driver.Log.WaitForAsync("connection", 2);
        await loop.Loop.Barrier();
        Assert.Equal(2, driver.Log.Count("connection"));
        peers.ForEach(p => p.Dispose());
    }

    [Fact]
    public async Task Connect_by_host_name_resolves_without_blocking_and_connects()
    {
        var serverDriver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(serverDriver, port: 0);
        var clientDriver = new RecordingDriver { OnConnect = s => { s.Write("name"u8); return default; } };
        var client = TcpSocket.Connect(clientDriver, "localhost", server.Port!.Value);
        await clientDriver.Log.WaitForBytesAsync(4);
        Assert.Equal("127.0.0.1", client.RemoteName);
        await client.DisposeAsync().WithTimeout("client close");
    }

    [Fact]
    public async Task Connect_falls_back_to_the_next_address_of_a_name_when_one_refuses()
    {
        // Like "localhost" resolving to ::1 and 127.0.0.1 while the server listens on IPv4 only.
        var serverDriver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(serverDriver, "127.0.0.1", port: 0);
        var clientDriver = new RecordingDriver { OnConnect = s => { s.Write("v4"u8); return default; } };
        var client = TcpSocket.ConnectToAny(clientDriver, new[] { IPAddress.IPv6Loopback, IPAddress.Loopback }, server.Port!.Value);
        await clientDriver.Log.WaitForBytesAsync(2);
        Assert.Equal("127.0.0.1", client.RemoteName);
        Assert.Equal(0, clientDriver.Log.Count("error"));
        await client.DisposeAsync().WithTimeout("client close");
    }

    [Fact]
    public async Task Connect_reports_one_error_when_every_address_refuses()
    {
        var probe = TcpServer.Listen(new RecordingDriver(), "127.0.0.1", port: 0);
        int port = probe.Port!.Value;
        await probe.DisposeAsync(); // nothing listens on the port now, on either address
        var clientDriver = new RecordingDriver();
        var client = TcpSocket.ConnectToAny(clientDriver, new[] { IPAddress.IPv6Loopback, IPAddress.Loopback }, port);
        await client.Closed.WithTimeout("client close");
        var error = Assert.IsType<SocketException>(clientDriver.Log.First("error").Error);
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        Assert.Equal(new[] { "error", "close" }, clientDriver.Log.KindsOf(client));
    }

    [Fact]
    public async Task Server_Close_stops_accepting_at_once_and_closes_clients_gracefully()
    {
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Write(Peer.Pattern(1024 * 1024, 21));
                return default;
            },
        };
        var server = TcpServer.Listen(driver, port: 0);
        int port = server.Port!.Value;
        using var peer = await Peer.ConnectAsync(port);
        await driver.Log.WaitForAsync("connection");
        await server.DisposeAsync().WithTimeout("server close");

        var (data, reset) = await peer.ReadToEndAsync();
        Assert.False(reset);
        Assert.Equal(Peer.Pattern(1024 * 1024, 21), data);
        var refused = await Assert.ThrowsAsync<SocketException>(() => Peer.ConnectAsync(port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.True(server.IsClosed);
        Assert.True(server.ClosedToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Listening_on_star_binds_every_IPv4_address_and_is_reachable_on_127_0_0_1()
    {
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, host: "*", port: 0);
        Assert.Equal(IPAddress.Any.ToString(), server.LocalName);

        using var peer = await Peer.ConnectAsync(server.Port!.Value, IPAddress.Loopback);
        await peer.SendAllAsync("over star"u8.ToArray());
        Assert.Equal("over star"u8.ToArray(), await peer.ReadExactlyAsync(9));
        var socket = driver.Log.First("connection").Socket!;
        Assert.Equal("127.0.0.1", socket.LocalName);
        Assert.Equal(server.Port, socket.LocalPort);
    }

    [Fact]
    public async Task Clients_that_reset_while_waiting_to_be_accepted_do_not_stop_the_server_accepting()
    {
        // Each client completes its connect in the paused server's backlog, then resets (SO_LINGER 0). BSD
        // kernels make accept fail with ECONNABORTED for such a client, which the server must skip; Linux
        // instead accepts it and reports the reset on the new socket. Either way the server goes on.
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, port: 0);
        await driver.Log.WaitForAsync("listen");
        server.Pause();
        await server.Loop.Barrier();

        for (int i = 0; i < 3; i++)
        {
            var quitter = await Peer.ConnectAsync(server.Port!.Value);
            quitter.LingerState = new LingerOption(true, 0);
            quitter.Close(); // RST while still in the backlog
        }

        using var waiting = await Peer.ConnectAsync(server.Port!.Value);
        server.Resume();
        await waiting.SendAllAsync("after resets"u8.ToArray());
        Assert.Equal("after resets"u8.ToArray(), await waiting.ReadExactlyAsync(12));

        using var later = await Peer.ConnectAsync(server.Port!.Value);
        await later.SendAllAsync("later"u8.ToArray());
        Assert.Equal("later"u8.ToArray(), await later.ReadExactlyAsync(5));

        // Whatever the kernel did with the quitters, none is left open, and none was a server fault.
        await driver.Log.WaitForAsync(evs => evs.Count(e => e.Kind == "close") == evs.Count(e => e.Kind == "connection") - 2, "every quitter to close");
        Assert.All(driver.Log.Events.Where(e => e.Kind == "close"), e => Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(e.Error).SocketErrorCode));
        Assert.Equal(0, driver.Log.Count("serverError"));
        Assert.Equal(0, driver.Log.Count("serverClose"));
        Assert.False(server.IsClosed);
        Assert.Equal(2, server.ClientCount);
    }
}
