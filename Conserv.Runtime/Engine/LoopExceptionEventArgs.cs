using System;

namespace Conserv;

/// <summary>An exception that no driver handler could take, reported by <see cref="EventLoop.UnhandledException"/>.</summary>
public sealed class LoopExceptionEventArgs : EventArgs
{
    internal LoopExceptionEventArgs(Exception exception, TcpSocket? socket, TcpServer? server)
    {
        Exception = exception;
        Socket = socket;
        Server = server;
    }

    /// <summary>The exception, for example one thrown by an error handler itself.</summary>
    public Exception Exception { get; }

    /// <summary>The socket whose handler failed, if any. It has been dropped.</summary>
    public TcpSocket? Socket { get; }

    /// <summary>The server whose handler failed, if any.</summary>
    public TcpServer? Server { get; }
}
