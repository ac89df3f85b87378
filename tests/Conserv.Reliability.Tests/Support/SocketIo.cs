using System;
using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Reliability.Tests.Support;

/// <summary>
/// Small async building blocks over a plain <see cref="Socket"/> (no streams, no thread per connection): send a
/// stretch of a <see cref="Pattern"/>, receive and verify its echo, read to the end, end a connection each way.
/// </summary>
public static class SocketIo
{
    /// <summary>A new, unconnected stream socket for <paramref name="endPoint"/> (TCP with Nagle off, or Unix).</summary>
    /// <param name="endPoint">Where it will connect.</param>
    /// <returns>The socket.</returns>
    public static Socket NewClient(EndPoint endPoint)
    {
        var socket = endPoint.AddressFamily == AddressFamily.Unix
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        return socket;
    }

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    /// <param name="socket">A connected socket.</param>
    /// <param name="data">The bytes.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>When everything is handed to the kernel.</returns>
    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    /// <summary>Sends <paramref name="length"/> bytes of <paramref name="pattern"/> from <paramref name="offset"/>.</summary>
    /// <param name="socket">A connected socket.</param>
    /// <param name="pattern">The stream the bytes come from.</param>
    /// <param name="offset">The position of the first byte.</param>
    /// <param name="length">How many bytes.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>When everything is handed to the kernel.</returns>
    public static async ValueTask SendPatternAsync(Socket socket, Pattern pattern, long offset, int length, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Min(length, 64 * 1024));
        try
        {
            int done = 0;
            while (done < length)
            {
                int n = Math.Min(buffer.Length, length - done);
                pattern.Fill(offset + done, buffer.AsSpan(0, n));
                await SendAllAsync(socket, buffer.AsMemory(0, n), cancellationToken);
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Receives exactly <paramref name="length"/> bytes and verifies each one with <paramref name="verifier"/>;
    /// the end of the stream before that throws <see cref="EndOfStreamBeforeExpectedException"/>.
    /// </summary>
    /// <param name="socket">A connected socket.</param>
    /// <param name="verifier">Checks the bytes, in order.</param>
    /// <param name="length">How many bytes to receive.</param>
    /// <param name="cancellationToken">Cancels the receive.</param>
    /// <returns>When all arrived and matched.</returns>
    public static async ValueTask ReceiveVerifiedAsync(Socket socket, PatternVerifier verifier, long length, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(length, 1, 64 * 1024));
        try
        {
            long done = 0;
            while (done < length)
            {
                int want = (int)Math.Min(buffer.Length, length - done);
                int n = await socket.ReceiveAsync(buffer.AsMemory(0, want), SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    throw new EndOfStreamBeforeExpectedException(done, length);
                }

                verifier.Verify(buffer.AsSpan(0, n));
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads until the peer ends the stream; every byte before the end goes to <paramref name="verifier"/>
    /// (or, without one, any byte at all throws <see cref="UnexpectedDataException"/>).
    /// </summary>
    /// <param name="socket">A connected socket.</param>
    /// <param name="verifier">Checks the bytes, or null when none are expected.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>How many bytes came before the end.</returns>
    public static async ValueTask<long> ReadToEndAsync(Socket socket, PatternVerifier? verifier, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long total = 0;
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    return total;
                }

                if (verifier is null)
                {
                    throw new UnexpectedDataException(n);
                }

                verifier.Verify(buffer.AsSpan(0, n));
                total += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Closes with a reset (SO_LINGER on with a zero timeout: the kernel sends RST and drops unsent data).</summary>
    /// <param name="socket">The socket; disposed.</param>
    public static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // already reset by the peer, or already closed: closing is all that is left
        }

        socket.Dispose();
    }

    /// <summary>Closes in order (FIN after any unsent data). Unread received data would turn this into a reset: read it first.</summary>
    /// <param name="socket">The socket; disposed.</param>
    public static void CloseOrderly(Socket socket) => socket.Dispose();

    /// <summary>Ends the sending direction only (FIN); the socket can still receive.</summary>
    /// <param name="socket">The socket.</param>
    public static void ShutdownSend(Socket socket) => socket.Shutdown(SocketShutdown.Send);
}

/// <summary>The peer ended the stream before all expected bytes arrived.</summary>
/// <param name="received">Bytes that did arrive.</param>
/// <param name="expected">Bytes expected.</param>
public sealed class EndOfStreamBeforeExpectedException(long received, long expected)
    : Exception(string.Create(CultureInfo.InvariantCulture, $"the peer ended the stream after {received} of {expected} expected bytes"));

/// <summary>Bytes arrived where none were expected.</summary>
/// <param name="count">How many arrived in the read.</param>
public sealed class UnexpectedDataException(int count)
    : Exception(string.Create(CultureInfo.InvariantCulture, $"{count} bytes arrived where the end of the stream was expected"));
