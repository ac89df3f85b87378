using System;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

public class UnixSocketTests
{
    [Fact]
    public async Task ListenUnix_and_ConnectUnix_echo()
    {
        using var dir = new TempDir();
        string path = dir.File("echo.sock");
        var serverDriver = RecordingDriver.Echo();
        await using var server = TcpServer.ListenUnix(serverDriver, path);
        var message = Peer.Pattern(100_000, 31);
        var clientDriver = new RecordingDriver { OnConnect = s => { s.Write(message); return default; } };
        var client = TcpSocket.ConnectUnix(clientDriver, path);
        await clientDriver.Log.WaitForBytesAsync(message.Length);
        Assert.Equal(message, clientDriver.Log.BytesOf(client));
        await client.DisposeAsync().WithTimeout("client close");
        var kinds = clientDriver.Log.KindsOf(client);
        Assert.Equal("connect", kinds[0]);
        Assert.Equal("close", kinds[^1]);
        Assert.Equal(1, kinds.Count(k => k == "close"));

        // And with an independent peer.
        using var peer = await Peer.ConnectUnixAsync(path);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("unix"));
        Assert.Equal("unix", Encoding.ASCII.GetString(await peer.ReadExactlyAsync(4)));
    }

    [Fact]
    public async Task A_stale_socket_file_is_replaced()
    {
        using var dir = new TempDir();
        string path = dir.File("stale.sock");
        Native.MakeStaleSocketFile(path);
        Assert.True(File.Exists(path));

        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.ListenUnix(driver, path);
        using var peer = await Peer.ConnectUnixAsync(path);
        await peer.SendAllAsync(new byte[] { 9 });
        Assert.Equal(new byte[] { 9 }, await peer.ReadExactlyAsync(1));
    }

    [Fact]
    public async Task A_live_listener_at_the_path_makes_ListenUnix_throw_address_in_use()
    {
        using var dir = new TempDir();
        string path = dir.File("live.sock");
        var driver = new RecordingDriver();
        await using var server = TcpServer.ListenUnix(driver, path);
        await driver.Log.WaitForAsync("listen");

        var e = Assert.Throws<SocketException>(() => TcpServer.ListenUnix(new RecordingDriver(), path));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.Equal($"Cannot listen on '{path}': a server is listening there.", e.Message);

        // The first server still works.
        using var peer = await Peer.ConnectUnixAsync(path);
        await driver.Log.WaitForAsync(evs => evs.Count(x => x.Kind == "connection") >= 1 && server.ClientCount >= 1, "a connection");
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void A_regular_file_at_the_path_makes_ListenUnix_throw_IOException_and_stays_untouched()
    {
        using var dir = new TempDir();
        string path = dir.File("regular.sock");
        File.WriteAllText(path, "keep me");
        var e = Assert.Throws<IOException>(() => TcpServer.ListenUnix(new RecordingDriver(), path));
        Assert.Equal($"Cannot listen on '{path}': a file that is not a socket is there.", e.Message);
        Assert.Equal("keep me", File.ReadAllText(path));
    }

    [Fact]
    public async Task ListenUnix_checks_its_options_and_runs_on_the_calling_loop()
    {
        using var dir = new TempDir();
        var bad = new TcpServerOptions { OutputHighWaterMark = 10, OutputLowWaterMark = 20 };
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => TcpServer.ListenUnix(new RecordingDriver(), dir.File("bad.sock"), options: bad)).ParamName);
        Assert.False(File.Exists(dir.File("bad.sock")));

        await using var loop = new TestLoop();
        var server = await loop.OnLoop(() => TcpServer.ListenUnix(new RecordingDriver(), dir.File("here.sock")));
        Assert.Same(loop.Loop, server.Loop);
        await server.DisposeAsync().AsTask().WithTimeout("the server to close");
    }

    [Fact]
    public void A_bind_failure_names_the_path()
    {
        using var dir = new TempDir();
        string path = dir.File("missing-dir/s.sock");
        var e = Assert.Throws<SocketException>(() => TcpServer.ListenUnix(new RecordingDriver(), path));
        Assert.Contains($"listen on unix:{path}", e.Message);
    }

    [Fact]
    public async Task The_socket_file_is_removed_when_the_server_closes()
    {
        using var dir = new TempDir();
        string path = dir.File("closing.sock");
        var driver = new RecordingDriver();
        var server = TcpServer.ListenUnix(driver, path);
        await driver.Log.WaitForAsync("listen");
        Assert.True(File.Exists(path));
        await server.DisposeAsync().WithTimeout("server close");
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task The_socket_file_is_removed_and_everything_closed_when_the_loop_stops()
    {
        using var dir = new TempDir();
        string path = dir.File("stopping.sock");
        var loop = new TestLoop();
        var driver = new RecordingDriver();
        var server = TcpServer.ListenUnix(driver, path, loop: loop.Loop);
        using var peer = await Peer.ConnectUnixAsync(path);
        await driver.Log.WaitForAsync("connection");

        await loop.DisposeAsync();
        Assert.False(File.Exists(path));
        Assert.True(server.IsClosed);
        var kinds = driver.Log.Events.Select(e => e.Kind).ToArray();
        Assert.Equal(new[] { "listen", "connection", "close", "serverClose" }, kinds);
    }

    private static class Native
    {
        private const int AF_UNIX = 1;
        private const int SOCK_STREAM = 1;

        [DllImport("libc", SetLastError = true)]
        private static extern int socket(int domain, int type, int protocol);

        [DllImport("libc", SetLastError = true)]
        private static extern int bind(int fd, byte[] addr, int length);

        [DllImport("libc", SetLastError = true)]
        private static extern int close(int fd);

        /// <summary>Binds a Unix socket at <paramref name="path"/> and closes it without unlinking: a stale socket file.</summary>
        public static void MakeStaleSocketFile(string path)
        {
            int fd = socket(AF_UNIX, SOCK_STREAM, 0);
            Assert.True(fd >= 0);
            var addr = new byte[110];
            BitConverter.GetBytes((ushort)AF_UNIX).CopyTo(addr, 0);
            int n = Encoding.UTF8.GetBytes(path, 0, path.Length, addr, 2);
            Assert.Equal(0, bind(fd, addr, 2 + n + 1));
            close(fd);
        }
    }
}
