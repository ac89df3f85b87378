using Conserv.Generators.Model;

namespace Conserv.Generators.Emit;

/// <summary>The expression passed for each bound parameter, given the names in the generated method.</summary>
/// <param name="Socket">The socket (or accepted client) expression, or null on events without one.</param>
/// <param name="Server">The server expression.</param>
/// <param name="Data">The data expression (<c>ReadOnlyMemory&lt;byte&gt;</c> or <c>ReadOnlyMemory&lt;char&gt;</c>).</param>
/// <param name="Exception">The exception expression, already of the attribute's type.</param>
/// <param name="ExceptionIsExact">Whether <paramref name="Exception"/> already has the attribute's type (no cast to an identical type).</param>
/// <param name="Error">The interface member's own exception parameter, of type <c>System.Exception</c>.</param>
/// <param name="Cause">The close cause expression.</param>
/// <param name="Token">The cancellation token expression.</param>
/// <remarks>
/// Every expression has exactly the type of the parameter it is passed to (the exception is narrowed or cast to
/// it), so the handler is always the best overload: an overload beside it (<c>Err(SocketException)</c> beside
/// <c>[OnSocketError(typeof(SocketException))] Err(Exception)</c>, or a generic <c>Err&lt;T&gt;(T)</c>) needs a
/// conversion no better than identity, and identical parameter types go to the non-generic, non-expanded method.
/// </remarks>
internal sealed record ArgumentExpressions(
    string? Socket,
    string Server,
    string Data,
    string Exception,
    bool ExceptionIsExact,
    string Error,
    string Cause,
    string Token)
{
    public string For(ArgumentBinding argument, string? exceptionType) => argument.Kind switch
    {
        ArgumentKind.Socket => Socket!,
        ArgumentKind.Server => Server,
        ArgumentKind.ByteSpan or ArgumentKind.CharSpan => Data + ".Span",
        ArgumentKind.ByteMemory or ArgumentKind.CharMemory => Data,
        ArgumentKind.ByteArray => Data + ".ToArray()",
        ArgumentKind.ByteSegment => "new global::System.ArraySegment<byte>(" + Data + ".ToArray())",
        ArgumentKind.String => Data + ".ToString()",
        ArgumentKind.Exception => ExceptionIsExact && argument.TypeName == exceptionType ? Exception
            : argument.TypeName == "global::System.Exception" ? Error
            : "(" + argument.TypeName + ")" + Exception,
        ArgumentKind.Frame => "frame",
        ArgumentKind.CloseCause => Cause,
        ArgumentKind.CancellationToken => Token,
        _ => "default",
    };

    /// <summary>The names used in the generated implementation of <paramref name="driverEvent"/>.</summary>
    public static ArgumentExpressions ForEvent(DriverEvent driverEvent, string exception, bool exceptionIsExact)
    {
        bool server = driverEvent.IsServerEvent();
        return new ArgumentExpressions(
            Socket: driverEvent == DriverEvent.ServerConnection ? "client" : server ? null : "socket",
            Server: server ? "server" : "socket.Server",
            Data: "data",
            Exception: exception,
            ExceptionIsExact: exceptionIsExact,
            Error: "error",
            Cause: "cause",
            Token: server ? "server.ClosedToken" : "socket.ClosedToken");
    }
}
