using Conserv.Generators.Model;

namespace Conserv.Generators.Emit;

/// <summary>How the runtime's interface declares the member for one event.</summary>
/// <param name="Interface">The interface's fully qualified name.</param>
/// <param name="Member">The member's name.</param>
/// <param name="ReturnType">The member's return type.</param>
/// <param name="Parameters">The member's parameter list.</param>
internal sealed record EventSignature(string Interface, string Member, string ReturnType, string Parameters)
{
    public const string SocketInterface = "global::Conserv.ISocketEventDriver";
    public const string ServerInterface = "global::Conserv.IServerEventDriver";
    public const string ValueTask = "global::System.Threading.Tasks.ValueTask";
    public const string ValueTaskOfBool = "global::System.Threading.Tasks.ValueTask<bool>";

    private const string Socket = "global::Conserv.TcpSocket socket";
    private const string Server = "global::Conserv.TcpServer server";
    private const string Error = "global::System.Exception error";

    /// <summary>The signature of the interface member that a handler of <paramref name="driverEvent"/> (and <paramref name="data"/> slot) implements.</summary>
    /// <param name="driverEvent">The event.</param>
    /// <param name="data">The data slot, for data handlers.</param>
    /// <param name="frameType">The decoder's frame type, for <see cref="DriverEvent.SocketFrame"/>.</param>
    public static EventSignature For(DriverEvent driverEvent, DataKind data, string? frameType = null) => driverEvent switch
    {
        DriverEvent.SocketFrame => new(FrameInterface(frameType!), "OnSocketFrame", ValueTask, Socket + ", " + frameType + " frame"),
        DriverEvent.SocketConnect => new(SocketInterface, "OnSocketConnect", ValueTask, Socket),
        DriverEvent.SocketData when data == DataKind.Text => new(SocketInterface, "OnSocketText", ValueTask, Socket + ", global::System.ReadOnlyMemory<char> data"),
        DriverEvent.SocketData => new(SocketInterface, "OnSocketData", ValueTask, Socket + ", global::System.ReadOnlyMemory<byte> data"),
        DriverEvent.SocketEndOfFile => new(SocketInterface, "OnSocketEndOfFile", ValueTask, Socket),
        DriverEvent.SocketOutputEmpty => new(SocketInterface, "OnSocketOutputEmpty", ValueTask, Socket),
        DriverEvent.SocketError => new(SocketInterface, "OnSocketError", ValueTaskOfBool, Socket + ", " + Error),
        DriverEvent.SocketClose => new(SocketInterface, "OnSocketClose", "void", Socket + ", global::System.Exception? cause"),
        DriverEvent.ServerListen => new(ServerInterface, "OnServerListen", ValueTask, Server),
        DriverEvent.ServerConnection => new(ServerInterface, "OnServerConnection", ValueTask, Server + ", global::Conserv.TcpSocket client"),
        DriverEvent.ServerError => new(ServerInterface, "OnServerError", ValueTaskOfBool, Server + ", " + Error),
        _ => new(ServerInterface, "OnServerClose", "void", Server),
    };

    /// <summary>The interface a driver with decoder frames of <paramref name="frameType"/> implements.</summary>
    public static string FrameInterface(string frameType) => $"global::Conserv.IFrameDriver<{frameType}>";

    /// <summary>
    /// The argument list that forwards an error member's parameters to an error dispatch: the only members the
    /// generated code forwards (the other events' handlers are called directly).
    /// </summary>
    public string ForwardArguments => Member == "OnServerError" ? "server, error" : "socket, error";
}
