using System;
using System.Linq;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>Reads grow for a socket whose reads fill them (bulk) and come back down for a chatty one.</summary>
public class AdaptiveReadTests
{
    [Fact]
    public async Task Reads_grow_for_bulk_transfer_up_to_ReadBufferSize_and_shrink_back_for_small_messages()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var serverSide = await driver.Log.SocketOfFirstAsync("connection");
        Assert.Equal(16 * 1024, await loop.OnLoop(() => serverSide.ReadSize));

        // Bulk: 8 MiB sent while the echo is read back, so the server's reads keep finding their buffer's worth.
        var bulk = Peer.Pattern(8 * 1024 * 1024, seed: 11);
        var sending = peer.SendAllAsync(bulk);
        var echoed = await peer.ReadExactlyAsync(bulk.Length);
        await sending;
        Assert.True(echoed.AsSpan().SequenceEqual(bulk));
        int largestEvent = driver.Log.Events.Where(e => e.Kind == "data").Max(e => e.Bytes!.Length);
        Assert.InRange(largestEvent, 16 * 1024 + 1, loop.Loop.Options.ReadBufferSize);

        // Chatty: small messages one at a time bring the read size back to where it started.
        for (int i = 0; i < 8; i++)
        {
            await peer.SendAllAsync("ping"u8.ToArray());
            Assert.Equal("ping"u8.ToArray(), await peer.ReadExactlyAsync(4));
        }

        Assert.Equal(16 * 1024, await loop.OnLoop(() => serverSide.ReadSize));
    }

    [Fact]
    public void ReadBufferSize_defaults_to_256_KiB_and_is_validated()
    {
        Assert.Equal(256 * 1024, new EventLoopOptions().ReadBufferSize);
        Assert.Equal("ReadBufferSize", Assert.Throws<ArgumentOutOfRangeException>(() => new EventLoopOptions { ReadBufferSize = 100 }).ParamName);
    }
}
