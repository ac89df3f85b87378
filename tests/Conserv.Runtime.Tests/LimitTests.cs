using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>Connection caps: beyond them a client is accepted and closed at once, and counted; the others go on.</summary>
public class LimitTests
{
    [Fact]
    public async Task A_client_beyond_MaxConnections_is_closed_at_once_and_counted_while_the_others_are_served()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        var options = new TcpServerOptions { MaxConnections = 2 };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);
        using var first = await Peer.ConnectAsync(server.Port!.Value);
        using var second = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);

        using (var third = await Peer.ConnectAsync(server.Port!.Value))
        {
            var (data, _) = await third.ReadToEndAsync(); // turned away: its connection ends with nothing sent
            Assert.Empty(data);
        }

        await Poll.UntilAsync(() => Task.FromResult(server.RejectedConnections == 1), "the rejection to be counted");
        Assert.Equal(2, driver.Log.Count("connection"));
        await second.SendAllAsync("still"u8.ToArray());
        Assert.Equal("still"u8.ToArray(), await second.ReadExactlyAsync(5));

        // A slot given back is taken by the next client.
        first.Dispose();
        await driver.Log.WaitForAsync("close");
        using var fourth = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 3);
        await fourth.SendAllAsync("in"u8.ToArray());
        Assert.Equal("in"u8.ToArray(), await fourth.ReadExactlyAsync(2));
        Assert.Equal(1, server.RejectedConnections);
        Assert.Equal(2, server.ClientCount);
    }

    [Fact]
    public async Task MaxConnectionsPerAddress_limits_each_remote_address_on_its_own()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        var options = new TcpServerOptions { MaxConnectionsPerAddress = 1 };
        await using var server = TcpServer.Listen(driver, "0.0.0.0", port: 0, loop: loop.Loop, options: options);
        using var fromOne = await ConnectFromAsync(IPAddress.Loopback, server.Port!.Value);
        await driver.Log.WaitForAsync("connection");

        using (var again = await ConnectFromAsync(IPAddress.Loopback, server.Port!.Value))
        {
            var (data, _) = await again.ReadToEndAsync();
            Assert.Empty(data);
        }

        using var fromTwo = await ConnectFromAsync(IPAddress.Parse("127.0.0.2"), server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);
        await fromTwo.SendAllAsync("two"u8.ToArray());
        Assert.Equal("two"u8.ToArray(), await fromTwo.ReadExactlyAsync(3));
        Assert.Equal(1, server.RejectedConnections);
        Assert.Equal(new[] { "127.0.0.1", "127.0.0.2" }, driver.Log.Events.Where(e => e.Kind == "connection").Select(e => e.Socket!.RemoteName).ToArray());

        // The first address's slot comes back when its client leaves.
        fromOne.Dispose();
        await driver.Log.WaitForAsync("close");
        using var backAgain = await ConnectFromAsync(IPAddress.Loopback, server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 3);
    }

    [Fact]
    public void The_default_connection_cap_keeps_descriptors_back_from_the_process_limit()
    {
        string line = File.ReadLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        int soft = int.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(soft, DescriptorLimit.OpenFiles);
        Assert.InRange(DescriptorLimit.Reserve, Math.Min(128, soft / 2), 1024);
        Assert.Equal(soft - DescriptorLimit.Reserve, DescriptorLimit.DefaultMaxConnections);
        Assert.Equal(DescriptorLimit.DefaultMaxConnections, new TcpServerOptions().MaxConnections);
        Assert.Null(new TcpServerOptions().MaxConnectionsPerAddress);
        Assert.Equal("MaxConnections", Assert.Throws<ArgumentOutOfRangeException>(() => new TcpServerOptions { MaxConnections = 0 }).ParamName);
        Assert.Equal("MaxConnectionsPerAddress", Assert.Throws<ArgumentOutOfRangeException>(() => new TcpServerOptions { MaxConnectionsPerAddress = 0 }).ParamName);
    }

    private static async Task<Socket> ConnectFromAsync(IPAddress local, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(local, 0));
        using var cts = new CancellationTokenSource(EventLog.DefaultTimeout);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        return socket;
    }

    [Fact]
    public async Task Out_of_descriptors_the_server_turns_the_waiting_clients_away_with_its_spare_and_serves_again_after_the_pause()
    {
        // The EMFILE is injected (the Reliability tests exhaust descriptors for real, in a child process); the shedding
        // is real: the loop gives up its spare descriptor, accepts and closes each waiting client, and takes the spare
        // again, so the second run of the same failure can shed too.
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            OnData = (s, d) =>
            {
                s.Write(d.Span);
                return default;
            },
            OnServerErr = (_, _) => ValueTask.FromResult(true),
        };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        await driver.Log.WaitForAsync("listen");
        int port = server.Port!.Value;
        for (int run = 1; run <= 2; run++)
        {
            await loop.OnLoop(() => server.InjectedAcceptErrors = new(new[] { Conserv.Interop.Libc.EMFILE }));
            var waiting = new Socket[3];
            using (await loop.HoldAsync())
            {
                for (int i = 0; i < waiting.Length; i++)
                {
                    waiting[i] = await Peer.ConnectAsync(port); // the kernel completes it; it waits in the backlog
                }
            }

            foreach (var client in waiting)
            {
                using (client)
                {
                    var (data, _) = await client.ReadToEndAsync(); // turned away: its connection ends with nothing sent
                    Assert.Empty(data);
                }
            }

            Assert.Equal(3 * run, await loop.OnLoop(() => server.RejectedConnections));
            using var served = await Peer.ConnectAsync(port); // once the pause is over
            await driver.Log.WaitForAsync("connection", run);
            await served.SendAllAsync("in"u8.ToArray());
            Assert.Equal("in"u8.ToArray(), await served.ReadExactlyAsync(2));
        }

        var reports = driver.Log.Events.Where(e => e.Kind == "serverError").Select(e => e.Error!.Message).ToArray();
        Assert.Equal(2, reports.Length); // one per run of failures: a success came in between
        Assert.All(reports, message => Assert.Equal("accept: Too many open files (EMFILE)", message));
        Assert.Equal(2, await loop.OnLoop(() => server.AcceptFailures));
        Assert.Equal(2, driver.Log.Count("connection"));
        await server.DisposeAsync();
    }
}
