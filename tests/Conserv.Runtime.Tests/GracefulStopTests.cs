using System;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>Stopping with a drain period: what can finish does, what cannot is aborted, close events always run.</summary>
public class GracefulStopTests
{
    [Fact]
    public async Task Server_Close_with_a_drain_period_lets_idle_clients_close_and_aborts_one_that_does_not_read()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.OutputLimit = null;
                s.Write(new byte[32 * 1024 * 1024]); // far more than the kernel holds for a peer that does not read
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var idle = await Peer.ConnectAsync(server.Port!.Value);
        using var flooded = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);
        await flooded.SendAllAsync("go"u8.ToArray());
        await driver.Log.WaitForAsync("data");

        server.Close(TimeSpan.FromMilliseconds(500));
        await server.Closed.WithTimeout("the server to close");

        var (idleData, _) = await idle.ReadToEndAsync();
        Assert.Empty(idleData);
        var kinds = driver.Log.Events.Select(e => e.Kind).Where(k => k is "close" or "serverClose").ToArray();
        Assert.Equal(new[] { "close", "close", "serverClose" }, kinds);
        var floodedSide = driver.Log.Events.Single(e => e.Kind == "data").Socket!;
        Assert.True(floodedSide.BytesWritten < 32 * 1024 * 1024, "the flooded client was not cut short");
        Assert.Equal("drainTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => server.Close(TimeSpan.FromSeconds(-1))).ParamName);
    }

    [Fact]
    public async Task Loop_Stop_with_a_drain_period_lets_a_running_async_handler_finish_and_its_reply_go_out()
    {
        var driver = new RecordingDriver
        {
            OnData = async (s, _) =>
            {
                await Task.Delay(300);
                s.Write("late reply"u8);
            },
        };
        EventLoop? loop = null;
        TcpServer? server = null;
        using var listening = new ManualResetEventSlim();
        var run = Task.Factory.StartNew(() => EventLoop.Run(() =>
        {
            loop = EventLoop.Current;
            server = TcpServer.Listen(driver, port: 0);
            listening.Set();
        }), TaskCreationOptions.LongRunning);
        Assert.True(listening.Wait(EventLog.DefaultTimeout));

        using var peer = await Peer.ConnectAsync(server!.Port!.Value);
        await peer.SendAllAsync("request"u8.ToArray());
        await driver.Log.WaitForAsync("data");
        loop!.Stop(TimeSpan.FromSeconds(20));

        await run.WithTimeout("Run to return");
        var (reply, reset) = await peer.ReadToEndAsync();
        Assert.False(reset);
        Assert.Equal("late reply"u8.ToArray(), reply);
        Assert.Equal(new[] { "close", "serverClose" }, driver.Log.Events.Select(e => e.Kind).Where(k => k is "close" or "serverClose").ToArray());
        Assert.Null(driver.Log.First("close").Error);
    }

    [Fact]
    public async Task Loop_Stop_aborts_what_has_not_finished_when_the_drain_period_ends()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.OutputLimit = null;
                c.Write(new byte[32 * 1024 * 1024]);
                return default;
            },
        };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var notReading = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection");

        loop.Loop.Stop(TimeSpan.FromMilliseconds(300));
        await loop.Loop.Completion.WithTimeout("the loop to stop");
        Assert.Equal(new[] { "close", "serverClose" }, driver.Log.Events.Select(e => e.Kind).Where(k => k is "close" or "serverClose").ToArray());
        Assert.True(server.IsClosed);
        Assert.Equal("drainTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => loop.Loop.Stop(TimeSpan.FromSeconds(-1))).ParamName);
    }
}
