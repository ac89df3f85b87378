using System;
using System.Buffers;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Reliability.Tests.Support;

/// <summary>Running totals of a <see cref="StreamEcho"/> run, read from other threads (for progress and reports).</summary>
public sealed class StreamEchoProgress
{
    private long _sent;
    private long _verified;

    /// <summary>Bytes handed to the kernel so far, over all connections.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Echoed bytes received and verified so far, over all connections.</summary>
    public long Verified => Interlocked.Read(ref _verified);

    internal void AddSent(long n) => Interlocked.Add(ref _sent, n);

    internal void AddVerified(long n) => Interlocked.Add(ref _verified, n);
}

/// <summary>
/// Streams a long <see cref="Pattern"/> through an echo server on one connection, writing and reading at the
/// same time, and verifies every echoed byte. The writer stays at most a window ahead of what has been verified,
/// so neither side's buffers grow without bound (the echo server queues what its client does not read yet).
/// </summary>
public static class StreamEcho
{
    /// <summary>Bytes per send.</summary>
    public const int ChunkBytes = 64 * 1024;

    /// <summary>
    /// Sends <paramref name="totalBytes"/> of <paramref name="pattern"/> and receives and verifies the same bytes;
    /// then half-closes and expects the server to end the stream with nothing more.
    /// </summary>
    /// <param name="socket">A connected socket to an echo server.</param>
    /// <param name="pattern">The bytes to send.</param>
    /// <param name="totalBytes">How many.</param>
    /// <param name="windowBytes">How far (in bytes, rounded up to whole chunks) the writer may run ahead of the verified echo.</param>
    /// <param name="progress">Totals to add to.</param>
    /// <param name="cancellationToken">Cancels both directions.</param>
    /// <returns>When every byte came back verified and the server ended the stream.</returns>
    public static async Task RunAsync(Socket socket, Pattern pattern, long totalBytes, int windowBytes, StreamEchoProgress progress,
        CancellationToken cancellationToken)
    {
        int windowChunks = Math.Max(1, (windowBytes + ChunkBytes - 1) / ChunkBytes);
        using var credits = new SemaphoreSlim(windowChunks);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task WriteAsync()
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
            try
            {
                long offset = 0;
                while (offset < totalBytes)
                {
                    await credits.WaitAsync(failed.Token);
                    int n = (int)Math.Min(ChunkBytes, totalBytes - offset);
                    pattern.Fill(offset, buffer.AsSpan(0, n));
                    await SocketIo.SendAllAsync(socket, buffer.AsMemory(0, n), failed.Token);
                    offset += n;
                    progress.AddSent(n);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        async Task ReadAsync()
        {
            var verifier = new PatternVerifier(pattern);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
            try
            {
                long released = 0;
                while (verifier.Verified < totalBytes)
                {
                    int want = (int)Math.Min(buffer.Length, totalBytes - verifier.Verified);
                    int n = await socket.ReceiveAsync(buffer.AsMemory(0, want), SocketFlags.None, failed.Token);
                    if (n == 0)
                    {
                        throw new EndOfStreamBeforeExpectedException(verifier.Verified, totalBytes);
                    }

                    verifier.Verify(buffer.AsSpan(0, n));
                    progress.AddVerified(n);
                    for (long whole = verifier.Verified / ChunkBytes; released < whole; released++)
                    {
                        credits.Release();
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        var writing = WriteAsync();
        var reading = ReadAsync();
        try
        {
            // Whichever fails first stops the other, so the caller sees the first real error.
            await await Task.WhenAny(writing, reading);
            await Task.WhenAll(writing, reading);
        }
        catch
        {
            await failed.CancelAsync();
            try
            {
                await Task.WhenAll(writing, reading); // let the other side stop before its buffers and semaphore go
            }
            catch
            {
                // the first error is the one reported
            }

            throw;
        }

        // Every byte is back: end our side, and the server must end its side with nothing more (any byte throws).
        SocketIo.ShutdownSend(socket);
        await SocketIo.ReadToEndAsync(socket, null, cancellationToken);
    }
}
