namespace Conserv;

/// <summary>Settings of a client socket (<see cref="TcpSocket.Connect"/>) or of a server's accepted sockets.</summary>
public class TcpSocketOptions
{
    /// <summary>
    /// Keep the sending side open after the peer's end of file, until the driver calls
    /// <see cref="TcpSocket.Close"/> (like node's <c>allowHalfOpen</c>). Default false: after
    /// <see cref="OnSocketEndOfFileAttribute">end of file</see> the socket sends what is queued and closes.
    /// </summary>
    public bool AllowHalfOpen { get; set; }

    /// <summary>Disable Nagle's algorithm (TCP_NODELAY) on TCP sockets. Default true: small writes go out at once.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>Enable TCP keep-alive probes (SO_KEEPALIVE). Default false.</summary>
    public bool KeepAlive { get; set; }
}
