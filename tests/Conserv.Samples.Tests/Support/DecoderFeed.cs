using System;
using System.Collections.Generic;

namespace Conserv.Samples.Tests.Support;

/// <summary>
/// Drives an <see cref="IFrameDecoder{TFrame}"/> the way the runtime does: the bytes not yet consumed, from the
/// same start, grow by each read; every frame returned is consumed before the next call. Like the runtime, it
/// moves an incomplete frame's bytes to a new buffer between calls, and scribbles over the old one, so a decoder
/// that kept slices instead of offsets reads garbage.
/// </summary>
public static class DecoderFeed
{
    /// <summary>Feeds <paramref name="reads"/> in order; returns what <paramref name="describe"/> makes of each frame, and the bytes left over.</summary>
    public static (List<string> Frames, int Leftover) Run<TFrame>(IFrameDecoder<TFrame> decoder, Func<TFrame, string> describe, params byte[][] reads)
    {
        var frames = new List<string>();
        byte[] pending = [];
        foreach (byte[] read in reads)
        {
            byte[] old = pending;
            pending = [.. pending, .. read];
            old.AsSpan().Fill(0xEE);
            while (pending.Length > 0)
            {
                int length = decoder.Decode(pending, out TFrame frame);
                if (length == 0)
                {
                    break;
                }

                frames.Add(describe(frame)); // before the bytes go: a frame may be slices of them
                pending = pending[length..];
            }
        }

        return (frames, pending.Length);
    }
}
