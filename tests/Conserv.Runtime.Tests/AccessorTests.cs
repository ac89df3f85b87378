using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

public class AccessorTests
{
    private sealed record Snapshot(
        ISocketEventDriver? Driver, TcpServer? Server, Encoding? FormatIn, Encoding? FormatOut, bool IsLocal,
        string? RemoteName, int? RemotePort, string? LocalName, int? LocalPort, bool IsPaused);

    private static Snapshot Take(TcpSocket s) => new(s.Driver, s.Server, s.ExternalFormatIn, s.ExternalFormatOut, s.IsLocal,
        s.RemoteName, s.RemotePort, s.LocalName, s.LocalPort, s.IsPaused);

    private static async Task<(Snapshot Accepted, Snapshot Client, TcpServer Server, RecordingDriver ServerDriver, RecordingDriver ClientDriver)> ConnectPair(
        Func<RecordingDriver, TcpServer> listen, Func<RecordingDriver, TcpServer, TcpSocket> connect)
    {
        Snapshot? accepted = null;
        Snapshot? client = null;
        var serverDriver = new RecordingDriver { OnConnection = (_, c) => { accepted = Take(c); return default; } };
        var clientDriver = new RecordingDriver { OnConnect = s => { client = Take(s); return default; } };
        var server = listen(serverDriver);
        var socket = connect(clientDriver, server);
        await serverDriver.Log.WaitForAsync("connection");
        await clientDriver.Log.WaitForAsync("connect");
        await server.Loop.Barrier(); // the connection handler that took the snapshot has returned
        await socket.DisposeAsync().WithTimeout("client close");
        return (accepted!, client!, server, serverDriver, clientDriver);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Accessors_of_accepted_and_client_tcp_sockets(string host)
    {
        var (accepted, client, server, serverDriver, clientDriver) = await ConnectPair(
            d => TcpServer.Listen(d, host, 0),
            (d, s) => TcpSocket.Connect(d, host, s.Port!.Value));
        await using var _ = server;

        Assert.Same(serverDriver, accepted.Driver);
        Assert.Same(server, accepted.Server);
        Assert.Same(clientDriver, client.Driver);
        Assert.Null(client.Server);

        Assert.False(accepted.IsLocal);
        Assert.False(client.IsLocal);
        Assert.False(accepted.IsPaused);
        Assert.False(client.IsPaused);

        Assert.Equal(host, accepted.LocalName);
        Assert.Equal(host, accepted.RemoteName);
        Assert.Equal(host, client.LocalName);
        Assert.Equal(host, client.RemoteName);
        Assert.Equal(server.Port, accepted.LocalPort);
        Assert.Equal(server.Port, client.RemotePort);
        Assert.Equal(client.LocalPort, accepted.RemotePort);
        Assert.NotEqual(server.Port, client.LocalPort);

        // Defaults: UTF-8 without BOM in and out.
        Assert.Same(ExternalFormat.Utf8, accepted.FormatIn);
        Assert.Same(ExternalFormat.Utf8, accepted.FormatOut);
        Assert.Same(ExternalFormat.Utf8, client.FormatIn);
        Assert.Same(ExternalFormat.Utf8, client.FormatOut);
        Assert.Empty(ExternalFormat.Utf8.GetPreamble());
    }

    [Fact]
    public async Task Accessors_of_unix_domain_sockets()
    {
        using var dir = new TempDir();
        string path = dir.File("s.sock");
        var (accepted, client, server, serverDriver, clientDriver) = await ConnectPair(
            d => TcpServer.ListenUnix(d, path),
            (d, _) => TcpSocket.ConnectUnix(d, path));
        await using var _ = server;

        Assert.True(server.IsLocal);
        Assert.Null(server.Port);
        Assert.Equal(path, server.LocalName);
        foreach (var s in new[] { accepted, client })
        {
            Assert.True(s.IsLocal);
            Assert.Null(s.RemotePort);
            Assert.Null(s.LocalPort);
            Assert.Equal(path, s.RemoteName);
            Assert.Equal(path, s.LocalName);
        }

        Assert.Same(server, accepted.Server);
        Assert.Same(serverDriver, accepted.Driver);
        Assert.Null(client.Server);
        Assert.Same(clientDriver, client.Driver);
    }

    [Fact]
    public async Task External_formats_given_at_listen_and_connect_apply_and_null_means_raw_bytes()
    {
        Snapshot? accepted = null;
        var serverDriver = new RecordingDriver { OnConnection = (_, c) => { accepted = Take(c); return default; } };
        var latin1 = Encoding.Latin1;
        await using var server = TcpServer.Listen(serverDriver, port: 0, externalFormatIn: latin1, externalFormatOut: ExternalFormat.Bytes);
        Assert.Same(latin1, server.ExternalFormatIn);
        Assert.Null(server.ExternalFormatOut);

        var clientDriver = new RecordingDriver();
        var client = TcpSocket.Connect(clientDriver, "127.0.0.1", server.Port!.Value, externalFormatIn: ExternalFormat.Bytes, externalFormatOut: Encoding.Unicode);
        await clientDriver.Log.WaitForAsync("connect");
        await serverDriver.Log.WaitForAsync("connection");
        await server.Loop.Barrier();
        Assert.Null(client.ExternalFormatIn);
        Assert.Same(Encoding.Unicode, client.ExternalFormatOut);
        Assert.Same(latin1, accepted!.FormatIn);
        Assert.Null(accepted.FormatOut);
        await client.DisposeAsync().WithTimeout("client close");
    }

    [Fact]
    public async Task Server_reports_the_port_picked_for_port_0_and_its_clients()
    {
        int countAtConnection = -1;
        bool listedAtConnection = false;
        var driver = new RecordingDriver
        {
            OnConnection = (s, c) =>
            {
                countAtConnection = s.ClientCount;
                listedAtConnection = s.Clients.Contains(c);
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        Assert.NotNull(server.Port);
        Assert.InRange(server.Port!.Value, 1, 65535);
        Assert.False(server.IsLocal);
        Assert.Equal("127.0.0.1", server.LocalName);
        Assert.Same(driver, server.Driver);

        var peers = new List<Socket>();
        for (int i = 0; i < 3; i++)
        {
            peers.Add(await Peer.ConnectAsync(server.Port.Value));
        }

        await driver.Log.WaitForAsync("connection", 3);
        await server.Loop.Barrier();
        Assert.True(listedAtConnection);
        Assert.Equal(3, countAtConnection);
        Assert.Equal(3, server.ClientCount);
        var accepted = driver.Log.Events.Where(e => e.Kind == "connection").Select(e => e.Socket!).ToHashSet();
        Assert.True(accepted.SetEquals(server.Clients));

        peers[0].Dispose();
        await driver.Log.WaitForAsync("close");
        await server.Loop.Barrier();
        Assert.Equal(2, server.ClientCount);
        Assert.Equal(2, server.Clients.Count);
        foreach (var peer in peers)
        {
            peer.Dispose();
        }
    }

    [Fact]
    public async Task Current_socket_and_server_are_set_during_every_event()
    {
        var wrong = new List<string>();
        void Check(string kind, TcpSocket? socket, TcpServer? server)
        {
            try
            {
                if (socket is not null && !ReferenceEquals(TcpSocket.Current, socket))
                {
                    wrong.Add(kind + ": socket");
                }

                if (server is not null && !ReferenceEquals(TcpServer.Current, server))
                {
                    wrong.Add(kind + ": server");
                }
            }
            catch (InvalidOperationException)
            {
                wrong.Add(kind + ": threw");
            }
        }

        var driver = new RecordingDriver
        {
            OnListen = s => { Check("listen", null, s); return default; },
            OnConnection = (s, _) => { Check("connection", null, s); return default; },
            OnData = (s, d) => { Check("data", s, null); s.Write(d.Span); return default; },
            OnOutputEmpty = s => { Check("outputEmpty", s, null); return default; },
            OnEndOfFile = s => { Check("eof", s, null); return default; },
            OnClose = (s, _) => Check("close", s, null),
            OnServerClosed = s => Check("serverClose", null, s),
        };
        var clientDriver = new RecordingDriver
        {
            OnConnect = s => { Check("connect", s, null); s.Write(new byte[] { 42 }); return default; },
            OnData = (s, _) => { Check("client data", s, null); s.Close(); return default; },
            OnClose = (s, _) => Check("client close", s, null),
        };
        var server = TcpServer.Listen(driver, port: 0);
        var client = TcpSocket.Connect(clientDriver, "127.0.0.1", server.Port!.Value);
        await client.Closed.WithTimeout("client close");
        await driver.Log.WaitForAsync("close");
        await server.DisposeAsync().WithTimeout("server close");

        Assert.Empty(wrong);
        Assert.Equal(1, driver.Log.Count("data"));
        Assert.Equal(1, driver.Log.Count("outputEmpty"));
    }

    [Fact]
    public async Task Current_throws_outside_events_on_any_thread()
    {
        Assert.StartsWith("TcpSocket.Current is only set while a socket event runs", Assert.Throws<InvalidOperationException>(() => TcpSocket.Current).Message);
        Assert.Throws<InvalidOperationException>(() => TcpServer.Current);

        await using var loop = new TestLoop();
        var onLoop = await loop.OnLoop(() => (
            Record.Exception(() => TcpSocket.Current),
            Record.Exception(() => TcpServer.Current)));
        Assert.IsType<InvalidOperationException>(onLoop.Item1);
        Assert.IsType<InvalidOperationException>(onLoop.Item2);
    }

    [Fact]
    public async Task Endpoints_names_and_writers_of_tcp_and_unix_sockets_and_of_a_client_not_connected_yet()
    {
        await using var loop = new TestLoop();
        var serverDriver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(serverDriver, port: 0, loop: loop.Loop);
        var clientDriver = new RecordingDriver();

        // Before the name is resolved: the host given, and no local end yet.
        var (client, remoteName, localName, localPort, remoteEndPoint) = await loop.OnLoop(() =>
        {
            var c = TcpSocket.Connect(clientDriver, "localhost", server.Port!.Value, loop: loop.Loop);
            return (c, c.RemoteName, c.LocalName, c.LocalPort, c.RemoteEndPoint);
        });
        Assert.Equal("localhost", remoteName);
        Assert.Null(localName);
        Assert.Null(localPort);
        Assert.Null(remoteEndPoint);

        await clientDriver.Log.WaitForAsync("connect");
        var accepted = await serverDriver.Log.SocketOfFirstAsync("connection");
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, server.Port!.Value), client.RemoteEndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, client.LocalPort!.Value), accepted.RemoteEndPoint);
        Assert.Equal($"TcpSocket(127.0.0.1:{client.LocalPort} -> 127.0.0.1:{server.Port})", client.ToString());
        Assert.Same(client.Out, client.Out); // one writer per socket

        var pause = Assert.Throws<ArgumentOutOfRangeException>(() => client.Pause(TimeSpan.FromTicks(-1)));
        Assert.Equal("timeout", pause.ParamName);
        Assert.StartsWith("The timeout must not be negative.", pause.Message);
        client.Pause(TimeSpan.Zero); // a pause that ends at once
        await Poll.UntilAsync(loop.Loop, () => !client.IsPaused, "the zero-length pause to end");

        await client.DisposeAsync().WithTimeout("the client to close");
        var closed = Assert.Throws<ObjectDisposedException>(() => client.Write("late"u8));
        Assert.Equal("The socket is closed.", closed.Message.Split(Environment.NewLine)[0]);
        Assert.Contains(client.ToString(), closed.Message);

        using var dir = new TempDir();
        string path = dir.File("acc.sock");
        var unixDriver = new RecordingDriver();
        await using var unixServer = TcpServer.ListenUnix(unixDriver, path, loop: loop.Loop);
        using var unixPeer = await Peer.ConnectUnixAsync(path);
        var unixSide = await unixDriver.Log.SocketOfFirstAsync("connection");
        Assert.Null(unixSide.RemoteEndPoint);
        Assert.Equal($"TcpSocket(unix:{path})", unixSide.ToString());
    }

    [Fact]
    public async Task Driver_may_be_replaced_in_OnServerConnection_and_later_events_go_to_the_new_driver()
    {
        var replacement = RecordingDriver.Echo();
        var driver = new RecordingDriver { OnConnection = (_, c) => { c.Driver = replacement; return default; } };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("swap"));
        Assert.Equal("swap", Encoding.ASCII.GetString(await peer.ReadExactlyAsync(4)));
        peer.Shutdown(SocketShutdown.Send);
        await replacement.Log.WaitForAsync("close");

        var socket = driver.Log.First("connection").Socket!;
        Assert.Same(replacement, socket.Driver);
        Assert.Equal(new[] { "connection" }, driver.Log.KindsOf(socket));
        Assert.Equal(new[] { "data", "outputEmpty", "eof", "close" }, replacement.Log.KindsOf(socket).Collapse());
    }
}
