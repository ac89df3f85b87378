namespace Conserv.Generators.Model;

/// <summary>What the generated code passes for one handler parameter.</summary>
internal enum ArgumentKind
{
    /// <summary>The event's <c>TcpSocket</c> (the socket, or the accepted client on a server connection).</summary>
    Socket,

    /// <summary>The event's <c>TcpServer</c>: the server itself, or <c>socket.Server</c> on a socket event (null for client sockets).</summary>
    Server,

    /// <summary><c>ReadOnlySpan&lt;byte&gt;</c>: the data's span, no copy.</summary>
    ByteSpan,

    /// <summary><c>ReadOnlyMemory&lt;byte&gt;</c>: the data, no copy.</summary>
    ByteMemory,

    /// <summary><c>byte[]</c>: a copy of the data.</summary>
    ByteArray,

    /// <summary><c>ArraySegment&lt;byte&gt;</c>: a copy of the data.</summary>
    ByteSegment,

    /// <summary><c>string</c>: the decoded text.</summary>
    String,

    /// <summary><c>ReadOnlySpan&lt;char&gt;</c>: the decoded text, no copy.</summary>
    CharSpan,

    /// <summary><c>ReadOnlyMemory&lt;char&gt;</c>: the decoded text, no copy.</summary>
    CharMemory,

    /// <summary>The frame of a decoder framing, of the decoder's frame type.</summary>
    Frame,

    /// <summary>The exception of an error event, as the parameter's type.</summary>
    Exception,

    /// <summary>The <c>Exception?</c> that closed a socket, null for an orderly close.</summary>
    CloseCause,

    /// <summary>The socket's or server's <c>ClosedToken</c>.</summary>
    CancellationToken,
}
