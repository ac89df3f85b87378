namespace Conserv.Generators.Model;

/// <summary>Facts about each <see cref="DriverEvent"/>.</summary>
internal static class DriverEventExtensions
{
    public static bool IsServerEvent(this DriverEvent e) => e >= DriverEvent.ServerListen;

    public static bool IsError(this DriverEvent e) => e is DriverEvent.SocketError or DriverEvent.ServerError;

    /// <summary>Close events are <c>void</c> in the runtime's interfaces: their handlers cannot be async.</summary>
    public static bool IsVoidEvent(this DriverEvent e) => e is DriverEvent.SocketClose or DriverEvent.ServerClose;

    /// <summary>The name of the interface member a handler of <paramref name="e"/> (filling the <paramref name="data"/> slot) implements.</summary>
    public static string InterfaceMember(this DriverEvent e, DataKind data) => e switch
    {
        DriverEvent.SocketData when data == DataKind.Text => "OnSocketText",
        _ => "On" + e.ToString(),
    };
}
