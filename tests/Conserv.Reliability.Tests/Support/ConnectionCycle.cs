using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Reliability.Tests.Support;

/// <summary>How a client ends a connection.</summary>
public enum CycleEnd
{
    /// <summary>An orderly close: FIN (after reading everything, so the kernel does not turn it into a reset).</summary>
    Close,

    /// <summary>A reset: SO_LINGER 0, then close — the kernel sends RST.</summary>
    Reset,

    /// <summary>A half-close: shutdown(SHUT_WR), then read until the server ends its side, then close.</summary>
    HalfClose,
}

/// <summary>One way to run a connection from connect to close, against an echo server.</summary>
/// <param name="End">How the client ends it.</param>
/// <param name="Data">Whether it sends data (a few bytes to 16 KiB of a pattern) first.</param>
/// <param name="ReadEcho">
/// Whether the echo is read (and verified) before the end. Only meaningful for <see cref="CycleEnd.Reset"/>
/// with data: false resets while the echo may still be on its way, so the server writes to a reset peer.
/// A <see cref="CycleEnd.Close"/> always reads it first; a <see cref="CycleEnd.HalfClose"/> reads it to the end.
/// </param>
public readonly record struct CycleKind(CycleEnd End, bool Data, bool ReadEcho = true)
{
    /// <inheritdoc/>
    public override string ToString() => End + (Data ? ReadEcho ? "+data" : "+data(unread)" : "");
}

/// <summary>Runs one connection cycle of a <see cref="CycleKind"/> against an echo server.</summary>
public static class ConnectionCycle
{
    /// <summary>The most bytes a cycle with data sends.</summary>
    public const int MaxDataBytes = 16 * 1024;

    /// <summary>
    /// Connects, sends and verifies data as <paramref name="kind"/> says, and ends the connection its way. For a
    /// half-close, the server must end its side after the echo (an echo server closes after the client's FIN).
    /// </summary>
    /// <param name="target">The echo server.</param>
    /// <param name="kind">What to do.</param>
    /// <param name="pattern">Where the data comes from; its side channel picks the size.</param>
    /// <param name="cancellationToken">Cancels the cycle.</param>
    /// <returns>How many echoed bytes were verified.</returns>
    public static async Task<long> RunAsync(EndPoint target, CycleKind kind, Pattern pattern, CancellationToken cancellationToken)
    {
        var socket = SocketIo.NewClient(target);
        bool ended = false;
        try
        {
            await socket.ConnectAsync(target, cancellationToken);
            int size = kind.Data ? pattern.Choose(0, 1, MaxDataBytes + 1) : 0;
            var verifier = new PatternVerifier(pattern);
            if (size > 0)
            {
                await SocketIo.SendPatternAsync(socket, pattern, 0, size, cancellationToken);
            }

            switch (kind.End)
            {
                case CycleEnd.Close:
                    await SocketIo.ReceiveVerifiedAsync(socket, verifier, size, cancellationToken);
                    SocketIo.CloseOrderly(socket);
                    break;
                case CycleEnd.Reset:
                    if (kind.ReadEcho)
                    {
                        await SocketIo.ReceiveVerifiedAsync(socket, verifier, size, cancellationToken);
                    }

                    SocketIo.Reset(socket);
                    break;
                case CycleEnd.HalfClose:
                    SocketIo.ShutdownSend(socket);
                    long echoed = await SocketIo.ReadToEndAsync(socket, size > 0 ? verifier : null, cancellationToken);
                    if (echoed != size)
                    {
                        throw new EndOfStreamBeforeExpectedException(echoed, size);
                    }

                    SocketIo.CloseOrderly(socket);
                    break;
            }

            ended = true;
            return verifier.Verified;
        }
        finally
        {
            if (!ended)
            {
                SocketIo.Reset(socket);
            }
        }
    }
}
