using Conserv.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Conserv.Analyzers;

/// <summary>
/// The parameters each event can supply, in words, for messages. Mirrors the binder's <c>BindParameter</c>
/// (the tests check each listed parameter binds).
/// </summary>
internal static class AllowedParameters
{
    private const string Bytes = "ReadOnlySpan<byte>, ReadOnlyMemory<byte>, byte[] or ArraySegment<byte> (bytes)";
    private const string Text = "string, ReadOnlySpan<char> or ReadOnlyMemory<char> (text)";

    /// <summary>Describes the parameters a handler of <paramref name="driverEvent"/> may take.</summary>
    /// <param name="driverEvent">The event.</param>
    /// <param name="exceptionType">For error events, the attribute's exception type.</param>
    public static string Describe(DriverEvent driverEvent, ITypeSymbol? exceptionType)
    {
        string exception = exceptionType is null ? "the exception" : $"the exception as {exceptionType.ToDisplayString()} or a base of it";
        return driverEvent switch
        {
            DriverEvent.SocketConnect or DriverEvent.SocketEndOfFile or DriverEvent.SocketOutputEmpty
                => "TcpSocket, TcpServer? (null for a client socket), CancellationToken",
            DriverEvent.SocketData
                => $"TcpSocket, TcpServer?, CancellationToken, and one data parameter: {Bytes}, or {Text}",
            DriverEvent.SocketClose
                => "TcpSocket, TcpServer?, Exception? (the cause, null for an orderly close), CancellationToken",
            DriverEvent.SocketError
                => $"TcpSocket, TcpServer?, CancellationToken, {exception}",
            DriverEvent.ServerListen or DriverEvent.ServerClose
                => "TcpServer, CancellationToken",
            DriverEvent.ServerConnection
                => "TcpServer, TcpSocket (the new client), CancellationToken",
            DriverEvent.ServerError
                => $"TcpServer, CancellationToken, {exception}",
            _ => "see the attribute's documentation",
        };
    }
}
