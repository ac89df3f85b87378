using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>
/// Client connects: their arguments, a name that does not resolve, a Unix path nobody listens on, a connect handler
/// that throws, the connect time-out once connected, and the TCP options both ends get.
/// </summary>
public class ConnectTests
{
    [Fact]
    public async Task Connect_takes_the_highest_port_and_the_longest_Unix_path_and_names_what_it_refuses()
    {
        await using var loop = new TestLoop();
        var port = Assert.Throws<ArgumentOutOfRangeException>(() => TcpSocket.Connect(new RecordingDriver(), "127.0.0.1", 65536, loop: loop.Loop));
        Assert.StartsWith("The port must be between 1 and 65535.", port.Message);
        var highest = TcpSocket.Connect(new RecordingDriver(), "127.0.0.1", 65535, loop: loop.Loop); // refused later, not at the call
        await highest.Closed.WithTimeout("the refused connect to end");

        string longest = "/tmp/" + new string('x', 107 - "/tmp/".Length);
        var atLimit = TcpSocket.ConnectUnix(new RecordingDriver(), longest, loop: loop.Loop); // no such file: fails later
        await atLimit.Closed.WithTimeout("the connect to a missing path to end");
        var tooLong = Assert.Throws<ArgumentException>(() => TcpSocket.ConnectUnix(new RecordingDriver(), longest + "x", loop: loop.Loop));
        Assert.Equal("path", tooLong.ParamName);
        Assert.StartsWith($"A Unix socket path can be at most 107 bytes long: '{longest}x'.", tooLong.Message);
    }

    [Fact]
    public async Task ConnectUnix_checks_its_options_and_runs_on_the_calling_loop()
    {
        using var dir = new TempDir();
        string path = dir.File("c.sock");
        var bad = new TcpSocketOptions { OutputHighWaterMark = 10, OutputLowWaterMark = 20 };
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => TcpSocket.ConnectUnix(new RecordingDriver(), path, options: bad)).ParamName);

        await using var loop = new TestLoop();
        await using var server = TcpServer.ListenUnix(RecordingDriver.Echo(), path, loop: loop.Loop);
        var client = await loop.OnLoop(() => TcpSocket.ConnectUnix(new RecordingDriver(), path));
        Assert.Same(loop.Loop, client.Loop);
        await client.DisposeAsync().WithTimeout("the client to close");

        await using var other = new TestLoop();
        var onGiven = await loop.OnLoop(() => TcpSocket.ConnectUnix(new RecordingDriver(), path, loop: other.Loop)); // the loop given wins
        Assert.Same(other.Loop, onGiven.Loop);
        await onGiven.DisposeAsync().WithTimeout("the client to close");
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_reaches_the_error_handler_with_the_resolvers_error_and_closes()
    {
        const string Host = "no-such-host.invalid";
        var expected = Assert.ThrowsAny<SocketException>(() => Dns.GetHostAddresses(Host));
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { OnError = (_, _) => ValueTask.FromResult(true) };

        var client = TcpSocket.Connect(driver, Host, 80, loop: loop.Loop);
        await client.Closed.WithTimeout("the client to close");
        await driver.Log.WaitForAsync("close");
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(expected.SocketErrorCode, error.SocketErrorCode);
        Assert.Equal(expected.Message, error.Message);
        Assert.Equal(new[] { "error", "close" }, driver.Log.KindsOf(client));
    }

    [Fact]
    public async Task A_Unix_path_nobody_listens_on_fails_at_once_and_closes_even_when_the_error_is_handled()
    {
        using var dir = new TempDir();
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { OnError = (_, _) => ValueTask.FromResult(true) };

        var client = TcpSocket.ConnectUnix(driver, dir.File("nobody.sock"), loop: loop.Loop);
        await client.Closed.WithTimeout("the client to close");
        await loop.Loop.Barrier();
        Assert.True(client.IsClosed);
        Assert.Equal(new[] { "error", "close" }, driver.Log.KindsOf(client));
        Assert.Contains("connect to unix:", driver.Log.First("error").Error!.Message);
    }

    [Fact]
    public async Task A_connect_handler_that_throws_reaches_the_error_handler()
    {
        await using var loop = new TestLoop();
        await using var server = TcpServer.Listen(RecordingDriver.Echo(), port: 0, loop: loop.Loop);
        var driver = new RecordingDriver
        {
            OnConnect = _ => throw new CustomTestException("from connect"),
            OnError = (_, _) => ValueTask.FromResult(true),
        };
        var client = TcpSocket.Connect(driver, "127.0.0.1", server.Port!.Value, loop: loop.Loop);
        await driver.Log.WaitForAsync("error");
        Assert.Equal("from connect", Assert.IsType<CustomTestException>(driver.Log.First("error").Error).Message);
        Assert.False(client.IsClosed); // handled: the connection goes on
        await client.DisposeAsync().WithTimeout("the client to close");
    }

    [Fact]
    public async Task Once_connected_a_client_is_held_to_its_idle_time_out_not_its_connect_time_out()
    {
        await using var network = new Conserv.Testing.TestNetwork();
        var driver = new RecordingDriver();
        var options = new TcpSocketOptions { ConnectTimeout = TimeSpan.FromSeconds(5), IdleTimeout = TimeSpan.FromSeconds(20) };
        var peer = await network.ConnectAsync(driver, options: options);
        await network.SettleAsync();
        Assert.Equal(1, driver.Log.Count("connect"));

        await network.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.False(peer.Socket.IsClosed, "the connect time-out ended a connected socket");
        await network.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.True(peer.Socket.IsClosed, "the idle time-out did not start at the connect");
        Assert.IsType<IdleTimeoutException>(driver.Log.First("error").Error);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Accepted_and_client_sockets_get_the_TCP_options_they_were_given(bool noDelay, bool keepAlive)
    {
        await using var loop = new TestLoop();
        var options = new TcpServerOptions { NoDelay = noDelay, KeepAlive = keepAlive };
        var serverDriver = new RecordingDriver();
        await using var server = TcpServer.Listen(serverDriver, port: 0, loop: loop.Loop, options: options);
        var clientDriver = new RecordingDriver();
        var client = TcpSocket.Connect(clientDriver, "127.0.0.1", server.Port!.Value, loop: loop.Loop,
            options: new TcpSocketOptions { NoDelay = noDelay, KeepAlive = keepAlive });
        await clientDriver.Log.WaitForAsync("connect");
        var accepted = await serverDriver.Log.SocketOfFirstAsync("connection");

        foreach (var socket in new[] { accepted, client })
        {
            int fd = TcpDescriptor.Of(socket.LocalPort!.Value, socket.RemotePort!.Value);
            Assert.Equal(noDelay, TcpDescriptor.Option(fd, level: 6, name: 1) != 0); // IPPROTO_TCP, TCP_NODELAY
            Assert.Equal(keepAlive, TcpDescriptor.Option(fd, level: 1, name: 9) != 0); // SOL_SOCKET, SO_KEEPALIVE
        }

        await client.DisposeAsync().WithTimeout("the client to close");
    }

    /// <summary>Finds a connection's descriptor in this process (its inode in /proc/net/tcp) and reads its options.</summary>
    private static class TcpDescriptor
    {
        public static int Of(int localPort, int remotePort)
        {
            // "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode": addresses as HEXIP:HEXPORT. The
            // table is the whole network namespace's: an earlier connection of the same ports may linger there (in
            // TIME_WAIT, inode 0, or another process's), so the row is the one whose socket this process holds.
            var inodes = File.ReadLines("/proc/net/tcp").Skip(1)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => PortOf(f[1]) == localPort && PortOf(f[2]) == remotePort && f[9] != "0")
                .Select(f => $"socket:[{f[9]}]")
                .ToHashSet();
            return Directory.GetFileSystemEntries("/proc/self/fd")
                .Where(path => new FileInfo(path).LinkTarget is { } target && inodes.Contains(target))
                .Select(path => int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture))
                .Single();
        }

        public static unsafe int Option(int fd, int level, int name)
        {
            int value = 0, length = sizeof(int);
            Assert.Equal(0, getsockopt(fd, level, name, &value, &length));
            return value;
        }

        private static int PortOf(string address) => int.Parse(address[(address.IndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

        [DllImport("libc", SetLastError = true)]
        private static extern unsafe int getsockopt(int fd, int level, int name, int* value, int* length);
    }
}
