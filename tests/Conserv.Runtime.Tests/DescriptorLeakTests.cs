using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DescriptorCountingCollection
{
    public const string Name = "Counts the process's file descriptors: runs alone";
}

/// <summary>
/// Every way a connection can end — a graceful close by either side, an abort by either side, a refused
/// connect — gives its descriptor back, and a stopped loop gives back its epoll and eventfd descriptors.
/// Counted from /proc/self/fd, with this collection running alone so nothing else opens descriptors meanwhile.
/// </summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class DescriptorLeakTests
{
    [Fact]
    public async Task Connection_churn_through_every_way_of_ending_leaves_no_descriptor_behind()
    {
        await ChurnAsync(rounds: 1); // warm-up: whatever the runtime opens lazily is open before counting
        int before = OpenDescriptors();

        await ChurnAsync(rounds: 10);

        // A leak can only raise the count. It may come out lower: the .NET runtime closes a descriptor or two of
        // its own now and then (seen under load), which is no concern of this test.
        int after = OpenDescriptors();
        Assert.True(after <= before, $"{after - before} descriptors leaked ({before} before, {after} after)");
    }

    private static async Task ChurnAsync(int rounds)
    {
        var loop = EventLoop.Start();
        try
        {
            var server = TcpServer.Listen(new EndingServer(), "127.0.0.1", port: 0, externalFormatIn: ExternalFormat.Bytes, loop: loop);
            var refusing = TcpServer.Listen(new EndingServer(), "127.0.0.1", port: 0, loop: loop);
            int refusedPort = refusing.Port!.Value;
            await refusing.DisposeAsync().WithTimeout("the probe server to close");

            for (int round = 0; round < rounds; round++)
            {
                var clients = new List<TcpSocket>();
                foreach (byte how in "CAcax"u8.ToArray())
                {
                    for (int i = 0; i < 10; i++)
                    {
                        int port = how == (byte)'x' ? refusedPort : server.Port!.Value;
                        clients.Add(TcpSocket.Connect(new EndingClient(how), "127.0.0.1", port, externalFormatIn: ExternalFormat.Bytes, loop: loop));
                    }
                }

                await Task.WhenAll(clients.Select(c => c.Closed)).WithTimeout("every client to close", TimeSpan.FromSeconds(60));
            }

            await server.DisposeAsync().WithTimeout("the server to close");
        }
        finally
        {
            loop.Stop();
            await loop.Completion.WithTimeout("the loop to stop");
        }
    }

    [Fact]
    public async Task Work_posted_to_a_stopped_loop_writes_nothing_to_a_socket_that_took_its_wake_up_descriptor_number()
    {
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen();
        var before = EventFds();
        var loop = EventLoop.Start();
        await loop.Barrier();
        int wakeUp = Assert.Single(EventFds().Except(before));
        loop.Stop();
        await loop.Completion.WithTimeout("the loop to stop");

        // The kernel hands out the lowest free number: open connections until one end takes the eventfd's old number.
        var opened = new List<System.Net.Sockets.Socket>();
        try
        {
            (System.Net.Sockets.Socket Reused, System.Net.Sockets.Socket Peer)? pair = null;
            for (int i = 0; i < 32 && pair is null; i++)
            {
                var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                opened.Add(client);
                client.Connect(listener.LocalEndPoint!);
                var accepted = listener.Accept();
                opened.Add(accepted);
                pair = (int)client.Handle == wakeUp ? (client, accepted) : (int)accepted.Handle == wakeUp ? (accepted, client) : null;
            }

            Assert.True(pair.HasValue, $"no connection took descriptor {wakeUp}");
            var (reused, peer) = pair.Value;
            peer.ReceiveTimeout = (int)EventLog.DefaultTimeout.TotalMilliseconds;

            loop.Post(() => { }); // to a stopped loop: queued, never run, and its wake-up must not be written
            reused.Send("x"u8);
            var got = new byte[9];
            int n = peer.Receive(got);
            Assert.Equal("x"u8.ToArray(), got.AsSpan(0, n).ToArray());
        }
        finally
        {
            foreach (var socket in opened)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task Every_descriptor_the_runtime_opens_is_closed_on_exec_and_every_one_it_reads_or_writes_is_non_blocking()
    {
        // A descriptor without O_CLOEXEC leaks into every child process the application starts (a listening socket
        // kept open by a child keeps the port); a blocking one would stall the whole loop on a read or write.
        using var dir = new TempDir();
        var before = Descriptors();
        var loop = EventLoop.Start();
        try
        {
            var serverDriver = new RecordingDriver();
            var server = TcpServer.Listen(serverDriver, "127.0.0.1", port: 0, loop: loop);
            var unixServer = TcpServer.ListenUnix(serverDriver, dir.File("flags.sock"), loop: loop);
            var clientDriver = new RecordingDriver();
            TcpSocket.Connect(clientDriver, "127.0.0.1", server.Port!.Value, loop: loop);
            TcpSocket.ConnectUnix(clientDriver, dir.File("flags.sock"), loop: loop);
            await clientDriver.Log.WaitForAsync("connect", count: 2);
            await serverDriver.Log.WaitForAsync("connection", count: 2);

            // What the runtime opened; files the .NET runtime maps meanwhile (assemblies loaded lazily) are not its.
            var opened = Descriptors()
                .Where(d => !before.ContainsKey(d.Key) && (d.Value.StartsWith("socket:", StringComparison.Ordinal) || d.Value.StartsWith("anon_inode:", StringComparison.Ordinal)))
                .ToList();
            var kinds = opened.Select(d => d.Value.StartsWith("socket:", StringComparison.Ordinal) ? "socket" : d.Value).ToList();
            Assert.Equal(1, kinds.Count(k => k == "anon_inode:[eventpoll]"));
            Assert.Equal(1, kinds.Count(k => k == "anon_inode:[eventfd]"));
            Assert.Equal(6, kinds.Count(k => k == "socket")); // two listeners, two clients, two accepted
            foreach (var (fd, target) in opened)
            {
                int flags = FdInfo.OpenFlags(fd);
                Assert.True((flags & FdInfo.CloseOnExec) != 0, $"descriptor {fd} ({target}) lacks O_CLOEXEC: flags {Convert.ToString(flags, 8)}");
                if (target != "anon_inode:[eventpoll]")
                {
                    Assert.True((flags & FdInfo.NonBlocking) != 0, $"descriptor {fd} ({target}) is blocking: flags {Convert.ToString(flags, 8)}");
                }
            }
        }
        finally
        {
            loop.Stop();
            await loop.Completion.WithTimeout("the loop to stop");
        }
    }

    [Fact]
    public async Task Listen_calls_that_fail_and_the_probe_of_a_socket_file_leave_no_descriptor_behind()
    {
        using var dir = new TempDir();
        var driver = new RecordingDriver();
        await using var live = TcpServer.ListenUnix(driver, dir.File("live.sock"));
        await using var busy = TcpServer.Listen(driver, port: 0);
        await driver.Log.WaitForAsync("listen", 2);
        void FailEachWay()
        {
            Assert.Throws<System.Net.Sockets.SocketException>(() => TcpServer.Listen(new RecordingDriver(), port: busy.Port!.Value)); // bind fails
            Assert.Throws<System.Net.Sockets.SocketException>(() => TcpServer.ListenUnix(new RecordingDriver(), dir.File("no-such-dir/s.sock"))); // bind fails
            Assert.Throws<System.Net.Sockets.SocketException>(() => TcpServer.ListenUnix(new RecordingDriver(), dir.File("live.sock"))); // the probe connects
        }

        FailEachWay(); // warm-up
        await FallBackAsync(busy.Port!.Value);
        int before = OpenDescriptors();
        for (int i = 0; i < 5; i++)
        {
            FailEachWay();
            await FallBackAsync(busy.Port!.Value); // the refused first address's descriptor is given back
        }

        int after = OpenDescriptors();
        Assert.True(after <= before, $"{after - before} descriptors leaked ({before} before, {after} after)");
    }

    /// <summary>Connects to ::1 (nobody listens there) and then to 127.0.0.1, as for a name that resolves to both.</summary>
    private static async Task FallBackAsync(int port)
    {
        var driver = new RecordingDriver();
        var client = TcpSocket.ConnectToAny(driver, new[] { System.Net.IPAddress.IPv6Loopback, System.Net.IPAddress.Loopback }, port);
        await driver.Log.WaitForAsync("connect");
        Assert.Equal("127.0.0.1", client.RemoteName);
        await client.DisposeAsync().WithTimeout("the client to close");
    }

    /// <summary>The open descriptors and what each refers to (the link's target: "socket:[inode]", "anon_inode:[eventfd]"…).</summary>
    private static Dictionary<int, string> Descriptors() => Directory.GetFileSystemEntries("/proc/self/fd")
        .Select(path => (Fd: int.Parse(Path.GetFileName(path), System.Globalization.CultureInfo.InvariantCulture), Target: new FileInfo(path).LinkTarget))
        .Where(d => d.Target is not null)
        .ToDictionary(d => d.Fd, d => d.Target!);

    private static HashSet<int> EventFds() => Directory.GetFileSystemEntries("/proc/self/fd")
        .Where(path => new FileInfo(path).LinkTarget == "anon_inode:[eventfd]")
        .Select(path => int.Parse(Path.GetFileName(path), System.Globalization.CultureInfo.InvariantCulture))
        .ToHashSet();

    private static int OpenDescriptors() => Directory.GetFileSystemEntries("/proc/self/fd").Length;

    /// <summary>Ends each connection the way its first byte asks: 'C' close, 'A' abort.</summary>
    private sealed class EndingServer : ISocketEventDriver
    {
        public SocketDriverFeatures Features => SocketDriverFeatures.ByteData;

        public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data)
        {
            if (data.Span[0] == (byte)'A')
            {
                socket.Abort();
            }
            else
            {
                socket.Write(data.Span);
                socket.Close();
            }

            return default;
        }

        public ValueTask<bool> OnSocketError(TcpSocket socket, Exception error) => new(true);
    }

    /// <summary>'C'/'A': asks the server to close/abort; 'c'/'a': closes/aborts itself; 'x': connects to a closed port.</summary>
    private sealed class EndingClient(byte how) : ISocketEventDriver
    {
        public SocketDriverFeatures Features => SocketDriverFeatures.ByteData;

        public ValueTask OnSocketConnect(TcpSocket socket)
        {
            switch (how)
            {
                case (byte)'c':
                    socket.Write("c"u8);
                    socket.Close();
                    break;
                case (byte)'a':
                    socket.Abort();
                    break;
                default:
                    socket.WriteByte(how);
                    break;
            }

            return default;
        }

        public ValueTask<bool> OnSocketError(TcpSocket socket, Exception error) => new(false);
    }
}
