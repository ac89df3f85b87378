using System.Collections.Generic;
using System.Linq;
using Conserv.Generators.Model;

namespace Conserv.Generators.Parsing;

/// <summary>
/// What each event can supply to a handler: the one table <see cref="HandlerBinder"/> binds parameters
/// against and the analyzers quote in their messages, so the two cannot drift apart.
/// </summary>
internal static class EventParameters
{
    private static readonly ArgumentKind[] SocketCommon = { ArgumentKind.Socket, ArgumentKind.Server, ArgumentKind.CancellationToken };

    private static readonly ArgumentKind[] Data =
    {
        ArgumentKind.ByteSpan, ArgumentKind.ByteMemory, ArgumentKind.ByteArray, ArgumentKind.ByteSegment,
        ArgumentKind.String, ArgumentKind.CharSpan, ArgumentKind.CharMemory,
    };

    /// <summary>The kinds of argument a handler of <paramref name="driverEvent"/> may take, in the order messages list them.</summary>
    public static IReadOnlyList<ArgumentKind> For(DriverEvent driverEvent) => driverEvent switch
    {
        DriverEvent.SocketConnect or DriverEvent.SocketEndOfFile or DriverEvent.SocketOutputEmpty => SocketCommon,
        DriverEvent.SocketData or DriverEvent.SocketLine => SocketCommon.Concat(Data).ToArray(),
        DriverEvent.SocketFrame => SocketCommon.Concat(new[] { ArgumentKind.Frame }).ToArray(),
        DriverEvent.SocketClose => new[] { ArgumentKind.Socket, ArgumentKind.Server, ArgumentKind.CloseCause, ArgumentKind.CancellationToken },
        DriverEvent.SocketError => new[] { ArgumentKind.Socket, ArgumentKind.Server, ArgumentKind.CancellationToken, ArgumentKind.Exception },
        DriverEvent.ServerListen or DriverEvent.ServerClose => new[] { ArgumentKind.Server, ArgumentKind.CancellationToken },
        DriverEvent.ServerConnection => new[] { ArgumentKind.Server, ArgumentKind.Socket, ArgumentKind.CancellationToken },
        DriverEvent.ServerError => new[] { ArgumentKind.Server, ArgumentKind.CancellationToken, ArgumentKind.Exception },
        _ => System.Array.Empty<ArgumentKind>(),
    };

    /// <summary>Whether a handler of <paramref name="driverEvent"/> may take a <paramref name="kind"/> argument.</summary>
    public static bool Allows(DriverEvent driverEvent, ArgumentKind kind) => For(driverEvent).Contains(kind);

    /// <summary>
    /// Whether the event may pass null for <paramref name="kind"/>, so the parameter must be declared nullable:
    /// the server of a socket event (a client socket has none) and the close cause (none for an orderly close).
    /// </summary>
    public static bool MayBeNull(DriverEvent driverEvent, ArgumentKind kind) =>
        kind == ArgumentKind.CloseCause || (kind == ArgumentKind.Server && !driverEvent.IsServerEvent());

    /// <summary>How a message names one argument kind of one event.</summary>
    /// <param name="driverEvent">The event.</param>
    /// <param name="kind">The argument kind.</param>
    /// <param name="exceptionType">For <see cref="ArgumentKind.Exception"/>: the attribute's exception type as displayed, or null when it is unknown.</param>
    public static string Display(DriverEvent driverEvent, ArgumentKind kind, string? exceptionType) => kind switch
    {
        ArgumentKind.Socket => driverEvent == DriverEvent.ServerConnection ? "TcpSocket (the new client)" : "TcpSocket",
        ArgumentKind.Server => MayBeNull(driverEvent, kind) ? "TcpServer? (null for a client socket)" : "TcpServer",
        ArgumentKind.CancellationToken => "CancellationToken",
        ArgumentKind.ByteSpan => "ReadOnlySpan<byte>",
        ArgumentKind.ByteMemory => "ReadOnlyMemory<byte>",
        ArgumentKind.ByteArray => "byte[]",
        ArgumentKind.ByteSegment => "ArraySegment<byte>",
        ArgumentKind.String => "string",
        ArgumentKind.CharSpan => "ReadOnlySpan<char>",
        ArgumentKind.CharMemory => "ReadOnlyMemory<char>",
        ArgumentKind.Frame => "the decoder's frame type",
        ArgumentKind.Exception => exceptionType is null ? "the exception" : $"the exception as {exceptionType} or a base of it",
        ArgumentKind.CloseCause => "Exception? (the cause, null for an orderly close)",
        _ => kind.ToString(),
    };

    /// <summary>
    /// Everything a handler of <paramref name="driverEvent"/> may take, in words:
    /// <c>TcpSocket, TcpServer? (null for a client socket), CancellationToken</c>; data handlers add
    /// <c>and one data parameter: … (bytes), or … (text)</c>.
    /// </summary>
    public static string Describe(DriverEvent driverEvent, string? exceptionType)
    {
        IReadOnlyList<ArgumentKind> kinds = For(driverEvent);
        var parts = kinds.Where(k => !k.IsData()).Select(k => Display(driverEvent, k, exceptionType)).ToList();
        string[] bytes = kinds.Where(k => k.IsByteData()).Select(k => Display(driverEvent, k, exceptionType)).ToArray();
        string[] text = kinds.Where(k => k.IsTextData()).Select(k => Display(driverEvent, k, exceptionType)).ToArray();
        if (bytes.Length > 0 || text.Length > 0)
        {
            var alternatives = new List<string>();
            if (bytes.Length > 0)
            {
                alternatives.Add(OrList(bytes) + " (bytes)");
            }

            if (text.Length > 0)
            {
                alternatives.Add(OrList(text) + " (text)");
            }

            parts.Add("and one data parameter: " + string.Join(", or ", alternatives));
        }

        return string.Join(", ", parts);
    }

    private static string OrList(string[] items) =>
        items.Length == 1 ? items[0] : string.Join(", ", items.Take(items.Length - 1)) + " or " + items[items.Length - 1];
}
