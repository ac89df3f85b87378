using System;

namespace Conserv;

/// <summary>
/// Cuts a socket's byte stream into frames of a protocol of your own (RESP, an HTTP head, …). One instance
/// serves one socket, on its loop thread (with <see cref="TcpSocket.Current"/> set to that socket, so a decoder can
/// tell its driver, say, that a request has begun); the runtime delivers each frame it returns to
/// <see cref="IFrameDriver{TFrame}.OnSocketFrame"/>, one frame per call.
/// </summary>
/// <typeparam name="TFrame">What one decoded frame is.</typeparam>
/// <remarks>
/// <para><b>Linear work.</b> When <see cref="Decode"/> returns 0 (no whole frame yet), the next call receives the
/// same bytes again, from the same start, with more appended. The decoder may therefore remember how far it has
/// already parsed and go on from there, so every byte is examined once however the frame is split across reads.
/// Remember offsets from the start of the input, not slices of it: between two calls the bytes of an incomplete
/// frame may move to another buffer. After a call returns a frame, the next call starts at the byte after it.</para>
/// <para><b>Frames may point into the input.</b> A frame may hold slices of <c>input</c> (no copy): they stay valid
/// until the frame's handler has returned, or its task has completed.</para>
/// <para><b>Errors.</b> Throw for malformed input: the exception goes to the socket's error dispatch, the buffered
/// input is discarded and <see cref="Reset"/> is called. Input that grows beyond the framing's maximum length
/// without a frame raises <see cref="FrameTooLongException"/> the same way.</para>
/// </remarks>
public interface IFrameDecoder<TFrame>
{
    /// <summary>Decodes the frame at the start of <paramref name="input"/>, if it is all there.</summary>
    /// <param name="input">The bytes not yet consumed, starting at a frame boundary.</param>
    /// <param name="frame">The frame, when the return value is positive.</param>
    /// <returns>How many bytes the frame takes from the start of <paramref name="input"/> (at least 1), or 0 when more input is needed.</returns>
    int Decode(ReadOnlyMemory<byte> input, out TFrame frame);

    /// <summary>Forgets any partly parsed frame: called after a decoding error or an over-long frame, before the buffered input is discarded.</summary>
    void Reset();
}
