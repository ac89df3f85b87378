using System;
using System.Buffers.Binary;
using System.Globalization;

namespace Conserv.Reliability.Tests.Support;

/// <summary>
/// An endless, deterministic stream of pseudo-random bytes chosen by a seed, with random access: byte
/// <c>n</c> of the stream can be produced without producing the ones before (each 8-byte word is a SplitMix64
/// hash of the seed and the word's index). A sender produces a connection's bytes with it, and the receiver
/// checks every echoed byte against the same stream, however the bytes were cut into reads.
/// </summary>
/// <param name="seed">The stream's seed; different seeds give unrelated streams.</param>
public readonly struct Pattern(ulong seed)
{
    private readonly ulong _key = Mix(seed ^ 0x5DEECE66DUL);

    /// <summary>The seed.</summary>
    public ulong Seed { get; } = seed;

    /// <summary>A seed for one of many connections of a scenario (distinct for distinct pairs).</summary>
    /// <param name="scenario">A number for the scenario.</param>
    /// <param name="connection">The connection's number.</param>
    /// <returns>The seed.</returns>
    public static ulong SeedFor(int scenario, long connection) => ((ulong)(uint)scenario << 40) ^ (ulong)connection;

    /// <summary>Writes the stream's bytes from <paramref name="offset"/> into <paramref name="destination"/>.</summary>
    /// <param name="offset">The position in the stream of the first byte written.</param>
    /// <param name="destination">Where the bytes go; all of it is filled.</param>
    public void Fill(long offset, Span<byte> destination)
    {
        Span<byte> word = stackalloc byte[8];
        long index = offset >> 3;
        int done = 0;
        int skip = (int)(offset & 7);
        if (skip != 0 && destination.Length > 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, Word(index++));
            done = Math.Min(8 - skip, destination.Length);
            word.Slice(skip, done).CopyTo(destination);
        }

        while (destination.Length - done >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[done..], Word(index++));
            done += 8;
        }

        if (done < destination.Length)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, Word(index));
            word[..(destination.Length - done)].CopyTo(destination[done..]);
        }
    }

    /// <summary>Bytes <paramref name="offset"/> to <paramref name="offset"/> + <paramref name="length"/> of the stream, in a new array.</summary>
    /// <param name="offset">The first byte's position.</param>
    /// <param name="length">How many bytes.</param>
    /// <returns>The bytes.</returns>
    public byte[] ToArray(long offset, int length)
    {
        var bytes = new byte[length];
        Fill(offset, bytes);
        return bytes;
    }

    /// <summary>A number from the stream's side channel (not its bytes), for choosing sizes and the like deterministically.</summary>
    /// <param name="index">Which number.</param>
    /// <param name="minInclusive">The smallest value.</param>
    /// <param name="maxExclusive">One past the largest value.</param>
    /// <returns>A value in the range.</returns>
    public int Choose(long index, int minInclusive, int maxExclusive) =>
        minInclusive + (int)(Mix(_key ^ ~(ulong)index) % (ulong)(maxExclusive - minInclusive));

    private ulong Word(long index) => Mix(_key + ((ulong)index * 0x9E3779B97F4A7C15UL));

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>
/// Checks received bytes, in order, against a <see cref="Pattern"/>: every byte is compared with the byte the
/// stream has at that position, and the first difference throws <see cref="PatternMismatchException"/>.
/// </summary>
/// <param name="pattern">The expected stream.</param>
/// <param name="startOffset">The position in the stream of the first byte to come.</param>
public sealed class PatternVerifier(Pattern pattern, long startOffset = 0)
{
    private const int StackChunk = 4096;
    private readonly long _start = startOffset;

    /// <summary>The position in the stream of the next byte expected.</summary>
    public long Position { get; private set; } = startOffset;

    /// <summary>How many bytes this verifier has checked (all equal so far).</summary>
    public long Verified => Position - _start;

    /// <summary>Checks <paramref name="received"/> against the stream and moves on past it.</summary>
    /// <param name="received">The next bytes that arrived.</param>
    /// <exception cref="PatternMismatchException">A byte differs.</exception>
    public void Verify(ReadOnlySpan<byte> received)
    {
        Span<byte> scratch = stackalloc byte[StackChunk];
        while (!received.IsEmpty)
        {
            int n = Math.Min(received.Length, StackChunk);
            var expected = scratch[..n];
            pattern.Fill(Position, expected);
            int same = expected.CommonPrefixLength(received[..n]);
            if (same != n)
            {
                throw new PatternMismatchException(pattern.Seed, Position + same, expected[same], received[same]);
            }

            Position += n;
            received = received[n..];
        }
    }
}

/// <summary>An echoed byte differed from the byte sent.</summary>
public sealed class PatternMismatchException : Exception
{
    /// <summary>Describes the first differing byte.</summary>
    /// <param name="seed">The stream's seed.</param>
    /// <param name="offset">The byte's position in the stream.</param>
    /// <param name="expected">The byte sent.</param>
    /// <param name="actual">The byte received.</param>
    public PatternMismatchException(ulong seed, long offset, byte expected, byte actual)
        : base(string.Create(CultureInfo.InvariantCulture, $"echoed byte {offset} of stream {seed:X} is 0x{actual:X2}, but 0x{expected:X2} was sent"))
    {
        Offset = offset;
    }

    /// <summary>The position of the first differing byte.</summary>
    public long Offset { get; }
}
