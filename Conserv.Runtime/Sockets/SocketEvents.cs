using System;

namespace Conserv;

/// <summary>Actions a handler can take on the event that is running.</summary>
public static class SocketEvents
{
    /// <summary>
    /// Drops the current connection once the running error handler returns: the socket is aborted (its
    /// queued output discarded) and its close event gets <paramref name="error"/> as the cause.
    /// Valid only while an <see cref="OnSocketErrorAttribute">error handler</see> runs on the loop thread
    /// (before its first <c>await</c>); to drop a connection elsewhere, call <see cref="TcpSocket.Abort"/>.
    /// </summary>
    /// <param name="error">The cause to report to the close handler; by default the error being handled.</param>
    /// <exception cref="InvalidOperationException">No socket error handler is running on this thread.</exception>
    public static void DropConnection(Exception? error = null)
    {
        var socket = EventLoop.Current?.ErrorScope
            ?? throw new InvalidOperationException(
                "SocketEvents.DropConnection can only be called while an [OnSocketError] handler runs (before its first await). Use TcpSocket.Abort() elsewhere.");
        socket.RequestDrop(error);
    }
}
