using System;
using Conserv.Generators.Model;
using Conserv.Generators.Parsing;

namespace Conserv.Generators.Tests;

/// <summary>
/// The parameter table's wording (what the analyzers quote in CONSERV002, shared source): each event's list of
/// what a handler may take, in order, with the nullable server of socket events, the new client of
/// OnServerConnection, the close cause, the exception with or without the attribute's type, and the data
/// alternatives of OnSocketData.
/// </summary>
public class EventParametersTests
{
    private const string SocketCommon = "TcpSocket, TcpServer? (null for a client socket), CancellationToken";

    [Theory]
    [InlineData(nameof(DriverEvent.SocketConnect), null, SocketCommon)]
    [InlineData(nameof(DriverEvent.SocketEndOfFile), null, SocketCommon)]
    [InlineData(nameof(DriverEvent.SocketOutputEmpty), null, SocketCommon)]
    [InlineData(nameof(DriverEvent.SocketData), null, SocketCommon + ", and one data parameter: "
        + "ReadOnlySpan<byte>, ReadOnlyMemory<byte>, byte[] or ArraySegment<byte> (bytes), or string, ReadOnlySpan<char> or ReadOnlyMemory<char> (text)")]
    [InlineData(nameof(DriverEvent.SocketFrame), null, SocketCommon + ", the decoder's frame type")]
    [InlineData(nameof(DriverEvent.SocketClose), null, "TcpSocket, TcpServer? (null for a client socket), Exception? (the cause, null for an orderly close), CancellationToken")]
    [InlineData(nameof(DriverEvent.SocketError), null, SocketCommon + ", the exception")]
    [InlineData(nameof(DriverEvent.SocketError), "IOException", SocketCommon + ", the exception as IOException or a base of it")]
    [InlineData(nameof(DriverEvent.ServerListen), null, "TcpServer, CancellationToken")]
    [InlineData(nameof(DriverEvent.ServerClose), null, "TcpServer, CancellationToken")]
    [InlineData(nameof(DriverEvent.ServerConnection), null, "TcpServer, TcpSocket (the new client), CancellationToken")]
    [InlineData(nameof(DriverEvent.ServerError), "IOException", "TcpServer, CancellationToken, the exception as IOException or a base of it")]
    public void EachEventDescribesWhatItsHandlersMayTakeInOrder(string driverEvent, string? exceptionType, string expected)
    {
        Assert.Equal(expected, EventParameters.Describe(Enum.Parse<DriverEvent>(driverEvent), exceptionType));
    }
}
