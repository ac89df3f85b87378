using System;

namespace Conserv;

/// <summary>
/// A time-out of a socket, raised through its error dispatch like any other condition: the connection is
/// dropped unless a handler takes it, and a handler that returns keeps the connection and restarts the time-out.
/// Handle <see cref="TimeoutException"/> to take every time-out, or one of the subclasses to take one kind.
/// </summary>
public abstract class SocketTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What timed out.</param>
    /// <param name="timeout">The time-out that ran out.</param>
    protected SocketTimeoutException(string message, TimeSpan timeout)
        : base(message)
    {
        Timeout = timeout;
    }

    /// <summary>The time-out that ran out.</summary>
    public TimeSpan Timeout { get; }
}

/// <summary>Nothing was read and the kernel accepted no output for <see cref="TcpSocket.IdleTimeout"/>.</summary>
public sealed class IdleTimeoutException : SocketTimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="timeout">The idle time-out.</param>
    public IdleTimeoutException(TimeSpan timeout)
        : base($"Nothing was read and nothing sent for {timeout}.", timeout)
    {
    }
}

/// <summary>A client socket's connect did not complete within <see cref="TcpSocketOptions.ConnectTimeout"/>; the socket then closes.</summary>
public sealed class ConnectTimeoutException : SocketTimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="target">Where the socket was connecting.</param>
    /// <param name="timeout">The connect time-out.</param>
    public ConnectTimeoutException(string target, TimeSpan timeout)
        : base($"Connecting to {target} did not complete within {timeout}.", timeout)
    {
    }
}

/// <summary>A TLS handshake did not complete within <see cref="TcpSocketOptions.TlsHandshakeTimeout"/>; the socket then closes.</summary>
public sealed class HandshakeTimeoutException : SocketTimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="timeout">The handshake time-out.</param>
    public HandshakeTimeoutException(TimeSpan timeout)
        : base($"The TLS handshake did not complete within {timeout}.", timeout)
    {
    }
}

/// <summary>A deadline the driver armed with <see cref="TcpSocket.SetDeadline"/> ran out.</summary>
public sealed class DeadlineExceededException : SocketTimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="timeout">The deadline's duration, as given to <see cref="TcpSocket.SetDeadline"/>.</param>
    public DeadlineExceededException(TimeSpan timeout)
        : base($"The deadline of {timeout} ran out.", timeout)
    {
    }
}
