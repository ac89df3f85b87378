using System;
using System.IO;
using System.Threading.Tasks;
using Conserv.Testing;

namespace Conserv.Runtime.Tests;

/// <summary>What a driver that implements only part of its interface gets, and what the handler attributes carry.</summary>
public class DriverDefaultsTests
{
    /// <summary>A socket driver with only a data handler: errors fall to the interface's default.</summary>
    private sealed class DataOnly : ISocketEventDriver
    {
        public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data) => throw new IOException("bad data");
    }

    /// <summary>A server driver with only a connection handler.</summary>
    private sealed class ConnectionOnly : IServerEventDriver
    {
        public ValueTask OnServerConnection(TcpServer server, TcpSocket client) => default;
    }

    [Fact]
    public async Task A_driver_without_an_error_handler_leaves_errors_unhandled_and_the_connection_is_dropped_for_it()
    {
        await using var network = new TestNetwork();
        var peer = await network.AcceptAsync(new DataOnly());
        peer.Send("x");
        await network.SettleAsync();
        Assert.True(peer.Socket.IsClosed); // the unhandled error dropped the connection

        ISocketEventDriver socketDriver = new DataOnly();
        Assert.False(await socketDriver.OnSocketError(peer.Socket, new IOException()));
        IServerEventDriver serverDriver = new ConnectionOnly();
        var server = await network.ListenAsync(serverDriver);
        Assert.False(await serverDriver.OnServerError(server.Server, new IOException()));
    }

    [Fact]
    public void The_error_attributes_carry_the_exception_type_they_were_given_and_Exception_by_default()
    {
        Assert.Equal(typeof(IOException), new OnSocketErrorAttribute(typeof(IOException)).ExceptionType);
        Assert.Equal(typeof(Exception), new OnSocketErrorAttribute().ExceptionType);
        Assert.Equal(typeof(TimeoutException), new OnServerErrorAttribute(typeof(TimeoutException)).ExceptionType);
        Assert.Equal(typeof(Exception), new OnServerErrorAttribute().ExceptionType);
    }
}
