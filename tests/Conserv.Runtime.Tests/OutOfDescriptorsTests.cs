using System;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Conserv.Interop;

namespace Conserv.Runtime.Tests;

/// <summary>
/// A process out of descriptors, for real and in this process: the soft RLIMIT_NOFILE is lowered to what is open,
/// so the next descriptor the runtime asks for fails with EMFILE — a loop's epoll or eventfd, a server's or a
/// client's socket, a server's accept — and then raised again. The Reliability tests do the same to a sample in a
/// child process; here the runtime's own tests (and so mutation testing) see it. Runs alone, with the other tests
/// that count descriptors: nothing else opens any meanwhile, and nothing else meets the lowered limit.
/// </summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class OutOfDescriptorsTests
{
    private const string OutOfDescriptors = "Too many open files (EMFILE)";

    [Fact]
    public async Task A_loop_that_cannot_get_its_descriptors_fails_to_start_naming_the_call_and_leaves_none_open()
    {
        await WarmUpAsync();
        int before = OpenDescriptors();

        SocketException noEpoll, noEventFd;
        using (new DescriptorShortage(free: 0))
        {
            noEpoll = Assert.Throws<SocketException>(() => EventLoop.Start());
        }

        using (new DescriptorShortage(free: 1))
        {
            noEventFd = Assert.Throws<SocketException>(() => EventLoop.Start()); // its epoll descriptor is opened first
        }

        Assert.Equal($"epoll_create1: {OutOfDescriptors}", noEpoll.Message);
        Assert.Equal($"eventfd: {OutOfDescriptors}", noEventFd.Message);
        Assert.Equal(SocketError.TooManyOpenSockets, noEventFd.SocketErrorCode);
        Assert.Equal(before, OpenDescriptors()); // the epoll descriptor of the loop that failed later is closed again
    }

    [Fact]
    public async Task Listening_without_a_free_descriptor_throws_naming_socket_and_the_loop_serves_once_there_is_one()
    {
        await WarmUpAsync();
        await using var loop = new TestLoop();
        using var directory = new TempDir();
        var driver = RecordingDriver.Echo();

        SocketException tcp, unix;
        using (new DescriptorShortage(free: 0))
        {
            tcp = Assert.Throws<SocketException>(() => TcpServer.Listen(driver, "127.0.0.1", port: 0, loop: loop.Loop));
            unix = Assert.Throws<SocketException>(() => TcpServer.ListenUnix(driver, directory.File("s"), loop: loop.Loop));
        }

        Assert.Equal($"socket: {OutOfDescriptors}", tcp.Message);
        Assert.Equal($"socket: {OutOfDescriptors}", unix.Message);
        Assert.Equal(SocketError.TooManyOpenSockets, unix.SocketErrorCode);
        Assert.Equal(0, driver.Log.Count("listen"));

        await using var server = TcpServer.Listen(driver, "127.0.0.1", port: 0, loop: loop.Loop);
        using var client = await Peer.ConnectAsync(server.Port!.Value);
        await client.SendAllAsync("up"u8.ToArray());
        Assert.Equal("up"u8.ToArray(), await client.ReadExactlyAsync(2));
    }

    [Fact]
    public async Task A_client_without_a_free_descriptor_gets_the_error_from_socket_and_closes()
    {
        await WarmUpAsync();
        await using var loop = new TestLoop();
        var target = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(target, "127.0.0.1", port: 0, loop: loop.Loop);
        var driver = new RecordingDriver { OnError = (_, _) => new ValueTask<bool>(true) }; // handled: it closes all the same

        TcpSocket client;
        using (new DescriptorShortage(free: 0))
        {
            client = TcpSocket.Connect(driver, "127.0.0.1", server.Port!.Value, loop: loop.Loop);
            await driver.Log.WaitForAsync("close");
        }

        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal($"socket: {OutOfDescriptors}", error.Message);
        Assert.Equal(new[] { "error", "close" }, driver.Log.KindsOf(client));
        Assert.True(client.IsClosed);
        Assert.Equal(0, target.Log.Count("connection"));
    }

    [Fact]
    public async Task Out_of_descriptors_for_real_a_server_turns_the_waiting_clients_away_with_its_spare_and_serves_again()
    {
        await WarmUpAsync();
        await using var loop = new TestLoop();
        var driver = RecordingDriver.EchoHandlingServerErrors();
        await using var server = TcpServer.Listen(driver, "127.0.0.1", port: 0, loop: loop.Loop);
        await driver.Log.WaitForAsync("listen");
        int port = server.Port!.Value;

        var waiting = new Socket[3];
        try
        {
            DescriptorShortage shortage;
            using (await loop.HoldAsync())
            {
                for (int i = 0; i < waiting.Length; i++)
                {
                    waiting[i] = await Peer.ConnectAsync(port); // the kernel completes them; the loop is held
                }

                shortage = new DescriptorShortage(free: 0); // then the loop goes on, and its accept fails with EMFILE
            }

            using (shortage)
            {
                await driver.Log.WaitForAsync("serverError");
                Assert.Equal(3, await loop.OnLoop(() => server.RejectedConnections)); // shed before the report
            }

            foreach (var client in waiting)
            {
                var (data, _) = await client.ReadToEndAsync(); // turned away: its connection ends with nothing sent
                Assert.Empty(data);
            }

            Assert.Equal($"accept: {OutOfDescriptors}", driver.Log.First("serverError").Error!.Message);
            Assert.Equal(0, driver.Log.Count("connection"));
            int spare = await loop.OnLoop(() => loop.Loop.Spare.Descriptor); // given up to shed, and taken again
            Assert.True(spare >= 0);
            Assert.Equal("/dev/null", new FileInfo($"/proc/self/fd/{spare}").LinkTarget);

            using var served = await Peer.ConnectAsync(port); // the limit is back: served once the pause is over
            await served.SendAllAsync("in"u8.ToArray());
            Assert.Equal("in"u8.ToArray(), await served.ReadExactlyAsync(2));
        }
        finally
        {
            Array.ForEach(waiting, socket => socket?.Dispose());
        }
    }

    /// <summary>
    /// Runs once what opens descriptors lazily — a loop, a server, a client, .NET's own sockets — so that under the
    /// lowered limit only the call a test is about meets it.
    /// </summary>
    private static async Task WarmUpAsync()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        using var directory = new TempDir();
        await using var server = TcpServer.Listen(driver, "127.0.0.1", port: 0, loop: loop.Loop);
        await using var unix = TcpServer.ListenUnix(driver, directory.File("w"), loop: loop.Loop);
        var client = TcpSocket.Connect(new RecordingDriver(), "127.0.0.1", server.Port!.Value, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync("w"u8.ToArray());
        Assert.Equal("w"u8.ToArray(), await peer.ReadExactlyAsync(1));
        client.Close();
        await client.Closed.WithTimeout("the warm-up client to close");
    }

    private static int OpenDescriptors() => Directory.GetFileSystemEntries("/proc/self/fd").Length;

    /// <summary>
    /// Lowers this process's soft descriptor limit, until disposed, to the lowest free descriptor number plus
    /// <c>free</c>: the next open fails with EMFILE when <c>free</c> is 0; with 1, the one after it does.
    /// </summary>
    private sealed class DescriptorShortage : IDisposable
    {
        private readonly RLimit _saved;

        public DescriptorShortage(int free)
        {
            if (getrlimit(Libc.RLIMIT_NOFILE, out _saved) != 0)
            {
                throw new InvalidOperationException($"getrlimit: errno {Marshal.GetLastPInvokeError()}");
            }

            int lowest = Libc.open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC); // the number the next open would get
            Assert.True(lowest >= 0, "no descriptor free to find the lowest with");
            Libc.close(lowest);
            Set(new RLimit { Soft = (ulong)(lowest + free), Hard = _saved.Hard });
        }

        public void Dispose() => Set(_saved);

        private static void Set(RLimit limit)
        {
            if (setrlimit(Libc.RLIMIT_NOFILE, in limit) != 0)
            {
                throw new InvalidOperationException($"setrlimit: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct RLimit
        {
            public ulong Soft;
            public ulong Hard;
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int getrlimit(int resource, out RLimit limits);

        [DllImport("libc", SetLastError = true)]
        private static extern int setrlimit(int resource, in RLimit limits);
    }
}
