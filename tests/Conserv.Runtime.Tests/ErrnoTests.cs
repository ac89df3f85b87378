using System;
using System.IO;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Conserv.Interop;

namespace Conserv.Runtime.Tests;

/// <summary>System errors reach drivers with the errno's own meaning, not the nearest .NET text.</summary>
public class ErrnoTests
{
    [Fact]
    public async Task Connecting_to_a_Unix_path_in_a_missing_directory_says_no_such_file()
    {
        using var dir = new TempDir();
        string path = dir.File("missing/server.sock");
        var driver = new RecordingDriver();
        var socket = TcpSocket.ConnectUnix(driver, path);
        await driver.Log.WaitForAsync("close");

        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Contains("No such file or directory", error.Message, StringComparison.Ordinal);
        Assert.Contains("(ENOENT)", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Cannot assign requested address", error.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "error", "close" }, driver.Log.KindsOf(socket));
    }

    [Fact]
    public async Task A_connection_the_peer_resets_fails_with_the_socket_error_named_as_ECONNRESET()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        var peer = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection");
        peer.LingerState = new LingerOption(true, 0); // close with a reset
        peer.Dispose();

        await driver.Log.WaitForAsync("close");
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.Equal("socket: Connection reset by peer (ECONNRESET)", error.Message);
    }

    [Fact]
    public async Task A_write_to_a_peer_that_reset_while_the_handler_ran_fails_in_send_and_is_named_after_it()
    {
        await using var loop = new TestLoop();
        Socket? peer = null;
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                peer!.LingerState = new LingerOption(true, 0);
                peer.Dispose(); // a reset, while this handler runs: the loop has not seen it
                WaitForHangUp(s.KernelDescriptor!.Value);
                s.Write("too late"u8); // sent once the handler returns: the send is what meets the reset
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync("x"u8.ToArray());

        await driver.Log.WaitForAsync("close");
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.Equal("send: Connection reset by peer (ECONNRESET)", error.Message);
    }

    /// <summary>Blocks until the kernel reports <paramref name="fd"/> hung up or in error (poll(2), which does not clear the error); bounded.</summary>
    private static void WaitForHangUp(int fd)
    {
        var entry = new PollEntry { Descriptor = fd, Events = 0 };
        int ready = PollDescriptors(ref entry, 1, (int)EventLog.DefaultTimeout.TotalMilliseconds);
        Assert.True(ready == 1 && (entry.Returned & (PollError | PollHangUp)) != 0, $"poll: {ready}, revents {entry.Returned}");
    }

    private const short PollError = 0x008;
    private const short PollHangUp = 0x010;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollEntry
    {
        public int Descriptor;
        public short Events;
        public short Returned;
    }

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static extern int PollDescriptors(ref PollEntry entry, nuint count, int timeoutMilliseconds);

    [Fact]
    public async Task A_refused_connect_names_the_target_and_the_errno()
    {
        int port = Peer.UnusedPort();
        var driver = new RecordingDriver();
        TcpSocket.Connect(driver, "127.0.0.1", port);
        await driver.Log.WaitForAsync("close");
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("(ECONNREFUSED)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Out_of_descriptors_in_the_process_and_in_the_system_read_differently()
    {
        var process = Errno.Exception(Libc.EMFILE, "accept");
        var system = Errno.Exception(Libc.ENFILE, "accept");
        Assert.Equal(SocketError.TooManyOpenSockets, process.SocketErrorCode);
        Assert.Equal(SocketError.TooManyOpenSockets, system.SocketErrorCode);
        Assert.Equal("accept: Too many open files (EMFILE)", process.Message);
        Assert.Equal("accept: Too many open files in system (ENFILE)", system.Message);
        Assert.Contains("(EACCES)", Errno.Exception(Libc.EACCES, "bind").Message, StringComparison.Ordinal);
        Assert.Contains("errno 9999", Errno.Exception(9999, "x").Message, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_Unix_server_creates_its_socket_file_with_the_mode_asked_for()
    {
        using var dir = new TempDir();
        string path = dir.File("private.sock");
        var options = new TcpServerOptions { UnixSocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        var driver = RecordingDriver.Echo();
        await using (var server = TcpServer.ListenUnix(driver, path, options: options))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            using var peer = await Peer.ConnectUnixAsync(path); // the owner may still connect
            await peer.SendAllAsync("x"u8.ToArray());
            Assert.Equal("x"u8.ToArray(), await peer.ReadExactlyAsync(1));
        }

        Assert.False(File.Exists(path));
    }
}
