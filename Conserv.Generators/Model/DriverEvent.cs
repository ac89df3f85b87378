namespace Conserv.Generators.Model;

/// <summary>The runtime event a handler attribute marks.</summary>
internal enum DriverEvent
{
    SocketConnect,
    SocketData,

    /// <summary>One frame of a decoder of the driver's own (<c>[OnSocketFrame(Decoder = …)]</c>).</summary>
    SocketFrame,

    /// <summary>
    /// <c>[OnSocketLine]</c> as the attribute marks it; bound as <see cref="SocketData"/> with a line framing.
    /// (<c>[OnSocketFrame]</c> is marked <see cref="SocketFrame"/> and bound as <see cref="SocketData"/> unless it names a decoder.)
    /// </summary>
    SocketLine,
    SocketEndOfFile,
    SocketClose,
    SocketOutputEmpty,
    SocketError,
    ServerListen,
    ServerConnection,
    ServerError,
    ServerClose,
}
