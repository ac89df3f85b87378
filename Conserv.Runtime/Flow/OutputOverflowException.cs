using System;
using System.IO;

namespace Conserv;

/// <summary>
/// A write to a socket was refused because it would have taken the socket's queued output beyond its
/// <see cref="TcpSocket.OutputLimit"/>: the peer is not reading what is sent to it. Raised through the error
/// dispatch of the socket whose queue is full (not of whoever wrote), after the write call returned; the
/// connection is dropped unless a handler takes it.
/// </summary>
/// <remarks>The refused write is discarded whole, so the stream never carries part of it.</remarks>
public sealed class OutputOverflowException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="queued">Bytes that were queued when the write came.</param>
    /// <param name="refused">Bytes of the refused write.</param>
    /// <param name="limit">The socket's output limit.</param>
    public OutputOverflowException(long queued, long refused, long limit)
        : base($"A write of {refused} bytes was refused: {queued} bytes were already queued and the output limit is {limit} bytes (the peer is not reading).")
    {
        Queued = queued;
        Refused = refused;
        Limit = limit;
    }

    /// <summary>Bytes that were queued when the write came.</summary>
    public long Queued { get; }

    /// <summary>Bytes of the refused write.</summary>
    public long Refused { get; }

    /// <summary>The socket's output limit.</summary>
    public long Limit { get; }
}
