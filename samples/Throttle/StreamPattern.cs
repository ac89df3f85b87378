using System;

namespace Conserv.Samples.Throttle;

/// <summary>
/// The bytes of a stream: 64-byte lines "0123…xyz\n" repeated, so a client can check every byte it got
/// (byte i is <c>Line[i % 64]</c>) and the server never holds more than one chunk.
/// </summary>
public static class StreamPattern
{
    /// <summary>One line of the pattern: 63 characters and a newline.</summary>
    public static ReadOnlySpan<byte> Line => "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.\n"u8;

    private static readonly byte[] s_block = MakeBlock();

    /// <summary>The pattern's bytes from <paramref name="offset"/>, <paramref name="length"/> long (at most a chunk).</summary>
    /// <param name="offset">Position in the stream.</param>
    /// <param name="length">How many bytes, up to <see cref="ThrottleSession.ChunkSize"/>.</param>
    /// <returns>The bytes (a view of a shared block; no allocation).</returns>
    public static ReadOnlySpan<byte> Chunk(long offset, int length) => s_block.AsSpan((int)(offset % 64), length);

    private static byte[] MakeBlock()
    {
        var block = new byte[ThrottleSession.ChunkSize + 64];
        for (int i = 0; i < block.Length; i++)
        {
            block[i] = Line[i % 64];
        }

        return block;
    }
}
