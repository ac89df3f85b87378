namespace Conserv.Generators.Model;

/// <summary>The runtime event a handler attribute marks.</summary>
internal enum DriverEvent
{
    SocketConnect,
    SocketData,
    SocketEndOfFile,
    SocketClose,
    SocketOutputEmpty,
    SocketError,
    ServerListen,
    ServerConnection,
    ServerError,
    ServerClose,
}
