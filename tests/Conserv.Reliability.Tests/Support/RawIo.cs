using System;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Reliability.Tests.Support;

/// <summary>Small socket helpers for the scenarios that misbehave on purpose (never read, send nothing, send slowly).</summary>
public static class RawIo
{
    /// <summary>
    /// Sends up to <paramref name="limit"/> bytes without ever reading, on a non-blocking socket, until the peer
    /// stops taking them: no byte accepted by the kernel for <paramref name="stall"/>.
    /// </summary>
    /// <param name="socket">A connected socket (made non-blocking here).</param>
    /// <param name="limit">The most to send.</param>
    /// <param name="stall">How long without progress counts as pushed back.</param>
    /// <param name="progress">Updated with the bytes accepted so far.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>The bytes the kernel accepted, and whether the sending stalled (rather than reaching the limit).</returns>
    public static (long Sent, bool Stalled) SendUntilStalled(Socket socket, long limit, TimeSpan stall, StrongBox<long> progress, CancellationToken cancellationToken)
    {
        socket.Blocking = false;
        var chunk = new Pattern(4242).ToArray(0, 64 * 1024);
        long sent = 0;
        var sinceProgress = Stopwatch.StartNew();
        while (sent < limit)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = socket.Send(chunk, 0, (int)Math.Min(chunk.Length, limit - sent), SocketFlags.None, out SocketError error);
            if (error == SocketError.Success && n > 0)
            {
                sent += n;
                Volatile.Write(ref progress.Value, sent);
                sinceProgress.Restart();
                continue;
            }

            if (error is not (SocketError.WouldBlock or SocketError.Success))
            {
                throw new SocketException((int)error);
            }

            var left = stall - sinceProgress.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return (sent, true);
            }

            socket.Poll((int)Math.Min(left.TotalMicroseconds, 200_000), SelectMode.SelectWrite);
        }

        return (sent, false);
    }

    /// <summary>Reads until the connection ends (end of file or reset), counting the bytes.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="first">Set to the first bytes received (up to its length), if any.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>The byte count, and how it ended ("eof" or the socket error).</returns>
    public static async Task<(long Bytes, string End)> ReadUntilEndAsync(Socket socket, byte[]? first, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    return (total, "eof");
                }

                if (first is not null && total < first.Length)
                {
                    buffer.AsSpan(0, (int)Math.Min(n, first.Length - total)).CopyTo(first.AsSpan((int)total));
                }

                total += n;
            }
        }
        catch (SocketException e)
        {
            return (total, e.SocketErrorCode.ToString());
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="count">How many.</param>
    /// <param name="cancellationToken">Stops it.</param>
    /// <returns>The bytes.</returns>
    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        int done = 0;
        while (done < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(done), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new EndOfStreamBeforeExpectedException(done, count);
            }

            done += n;
        }

        return buffer;
    }
}

/// <summary>A value shared between threads.</summary>
/// <typeparam name="T">Its type.</typeparam>
public sealed class StrongBox<T>
{
    /// <summary>The value.</summary>
#pragma warning disable SA1401, CA1051 // a field, so that Volatile and Interlocked work on it
    public T Value = default!;
#pragma warning restore SA1401, CA1051
}
