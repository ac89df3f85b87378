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
    public async Task The_read_size_doubles_after_a_full_read_holds_after_a_partial_one_and_halves_after_a_small_one()
    {
        // On the in-memory network one send of the peer is one read of the socket, so each step is exact.
        await using var network = new Conserv.Testing.TestNetwork();
        var driver = new RecordingDriver();
        var peer = await network.AcceptAsync(driver);
        var socket = peer.Socket;
        long received = 0;

        async Task<int> ReadSizeAfterAsync(int sent)
        {
            peer.Send(Peer.Pattern(sent, seed: sent));
            received += sent;
            await network.SettleAsync();
            Assert.Equal(received, driver.Log.Events.Where(e => e.Kind == "data").Sum(e => (long)e.Bytes!.Length));
            return await network.Loop.OnLoopAsync(() => socket.ReadSize);
        }

        Assert.Equal(16 * 1024, await network.Loop.OnLoopAsync(() => socket.ReadSize));
        Assert.Equal(32 * 1024, await ReadSizeAfterAsync(16 * 1024)); // full: doubles
        Assert.Equal(64 * 1024, await ReadSizeAfterAsync(32 * 1024));
        Assert.Equal(64 * 1024, await ReadSizeAfterAsync(20 * 1024)); // under full but over a quarter: holds
        Assert.Equal(64 * 1024, await ReadSizeAfterAsync(16 * 1024)); // exactly a quarter: holds
        Assert.Equal(32 * 1024, await ReadSizeAfterAsync(100)); // under a quarter: halves, one step at a time
        Assert.Equal(16 * 1024, await ReadSizeAfterAsync(100));
        Assert.Equal(16 * 1024, await ReadSizeAfterAsync(100)); // never under where it started
    }

    [Fact]
    public void ReadBufferSize_defaults_to_256_KiB_and_is_validated()
    {
        Assert.Equal(256 * 1024, new EventLoopOptions().ReadBufferSize);
        Assert.Equal("ReadBufferSize", Assert.Throws<ArgumentOutOfRangeException>(() => new EventLoopOptions { ReadBufferSize = 100 }).ParamName);
    }
}
