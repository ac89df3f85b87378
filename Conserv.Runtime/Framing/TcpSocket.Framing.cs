using System;
using System.Buffers;
using System.Text;
using System.Threading.Tasks;

namespace Conserv;

// A socket whose driver has a framing (ISocketEventDriver.Framing) delivers one frame per handler call. The
// framing's per-socket reader cuts the reads; this file delivers each frame, keeps the buffers an async handler
// holds, and resumes delivery of buffered frames once the socket can take them again.
public sealed partial class TcpSocket
{
    private FrameReader? _frames;
    private ISocketEventDriver? _framesDriver;
    private bool _framesEnlisted;
    private byte[]? _heldInput;
    private char[]? _heldChars;

    /// <summary>
    /// Whether the next frame may be delivered now: open, reading, not paused, no handler pending, output at or below
    /// its high water mark. The queue is looked at directly because the water marks are only updated when the
    /// batch's one gathered write is made: a batch of requests whose replies pass the high mark stops there.
    /// </summary>
    internal bool CanDeliverFrames => _state == SocketState.Open && IsReading && BytesQueued <= _highWaterMark && !_plaintextCutOff;

    /// <summary>Whether the frame just delivered went to an async handler that still runs (and may still use the frame's bytes).</summary>
    internal bool HandlerHoldsInput => _handlerPending;

    /// <summary>Whether the socket holds a pooled framing buffer: a partial frame's, or one an async handler still holds (for tests).</summary>
    internal bool HoldsFrameBuffers => FramingBufferCapacity > 0 || _heldInput is not null || _heldChars is not null;

    /// <summary>How many read bytes wait in the framing reader's buffer (for tests).</summary>
    internal int FramingBytesBuffered => _frames?.BufferedCount ?? 0;

    /// <summary>The length of the framing reader's buffer, zero when it holds none (for tests).</summary>
    internal int FramingBufferCapacity => _frames?.BufferCapacity ?? 0;

    /// <summary>Keeps <paramref name="buffer"/> (pooled) until the pending frame handler completes.</summary>
    internal void HoldInput(byte[] buffer) => _heldInput = buffer;

    /// <summary>The framing reader for <paramref name="driver"/>, made when the driver is first seen on the loop.</summary>
    private FrameReader? FramesFor(ISocketEventDriver driver, out byte[]? leftover)
    {
        leftover = null;
        if (ReferenceEquals(_framesDriver, driver))
        {
            return _frames;
        }

        var previous = _frames;
        _frames = null;
        _framesDriver = driver;
        _frames = driver.Framing?.CreateReader(this, driver);
        if (previous is not null)
        {
            // The driver was replaced: what the old one buffered goes to the new one, framed or raw.
            if (_frames is not null)
            {
                _frames.Adopt(previous);
            }
            else
            {
                leftover = previous.TakeBuffered();
            }
        }

        return _frames;
    }

    private void DeliverFrames(FrameReader frames, byte[] buffer, int count)
    {
        var previous = Enter();
        try
        {
            if (frames.Stalled)
            {
                frames.Resume(); // frames buffered before this read go first
            }

            frames.OnRead(buffer, count);
        }
        finally
        {
            Exit(previous);
        }
    }

    /// <summary>The loop's turn for a socket whose buffered frames wait (<see cref="EventLoop.EnlistFrames"/>).</summary>
    internal void DeliverBufferedFrames()
    {
        _framesEnlisted = false;
        if (_frames is not { Stalled: true } frames || !CanDeliverFrames)
        {
            return;
        }

        var previous = Enter();
        try
        {
            frames.Resume();
        }
        finally
        {
            Exit(previous);
        }
    }

    /// <summary>Called whenever the socket may read again: buffered frames then need the loop's turn, as no read will bring them.</summary>
    private void EnlistFramesIfStalled()
    {
        if (_frames is { Stalled: true } && !_framesEnlisted && _eventDepth == 0 && CanDeliverFrames)
        {
            _framesEnlisted = true;
            _loop.EnlistFrames(this);
        }
    }

    /// <summary>Delivers one frame of bytes: as text decoded on its own if the driver takes text and the socket has an input format, else as bytes.</summary>
    internal void DeliverByteFrame(ReadOnlyMemory<byte> frame, bool needsAsciiCompatibleText)
    {
        var driver = _driver!;
        try
        {
            ValueTask pending;
            if ((_features & SocketDriverFeatures.TextData) != 0 && _formatIn is { } encoding)
            {
                if (needsAsciiCompatibleText && !IsAsciiCompatible(encoding))
                {
                    throw new NotSupportedException(
                        $"Line framing needs an input format in which '\\n' is one byte of its own (UTF-8, ASCII, Latin-1 or another single-byte encoding); {encoding.WebName} is not one. Take the lines as bytes, or use a decoder framing.");
                }

                // Decoded alone: a bad byte sequence fails this frame only, and nothing carries over to the next.
                var chars = _loop.CharBuffer(encoding.GetMaxCharCount(frame.Length));
                int count = encoding.GetChars(frame.Span, chars);
                pending = driver.OnSocketText(this, new ReadOnlyMemory<char>(chars, 0, count));
                if (!pending.IsCompleted)
                {
                    AwaitFrameHandler(pending, _loop.DetachCharBuffer());
                    return;
                }
            }
            else if ((_features & SocketDriverFeatures.ByteData) != 0)
            {
                pending = driver.OnSocketData(this, frame);
                if (!pending.IsCompleted)
                {
                    AwaitFrameHandler(pending, null);
                    return;
                }
            }
            else if ((_features & SocketDriverFeatures.TextData) != 0)
            {
                throw new InvalidOperationException(
                    $"The driver {driver.GetType().Name} takes only text, but the socket's ExternalFormatIn is null (raw bytes). Give the socket an input format, or add a byte handler.");
            }
            else
            {
                return;
            }

            pending.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            RaiseError(e, fatal: false);
        }
    }

    /// <summary>Delivers one frame of a decoder framing.</summary>
    internal void DeliverDecodedFrame<TFrame>(IFrameDriver<TFrame> driver, TFrame frame)
    {
        try
        {
            var pending = driver.OnSocketFrame(this, frame);
            if (!pending.IsCompleted)
            {
                AwaitFrameHandler(pending, null);
                return;
            }

            pending.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            RaiseError(e, fatal: false);
        }
    }

    /// <summary>A frame handler still runs: no frame and no read until it completes; then the buffers it held go back to the pool.</summary>
    private void AwaitFrameHandler(ValueTask pending, char[]? heldChars)
    {
        _handlerPending = true;
        _heldChars = heldChars;
        UpdateInterest();
        pending.GetAwaiter().OnCompleted(() =>
        {
            _handlerPending = false;
            ReturnHeldBuffers();
            CompleteHandler(pending);
            UpdateInterest();
            TryFinishClose(); // a Close() that came while the handler ran waited for it
        });
    }

    private void ReturnHeldBuffers()
    {
        if (_heldChars is { } chars)
        {
            _heldChars = null;
            ArrayPool<char>.Shared.Return(chars);
        }

        if (_heldInput is { } input)
        {
            _heldInput = null;
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    /// <summary>At end of file, before the end-of-file event: a last unterminated line, or the truncated frame's error.</summary>
    private void EndFrames()
    {
        if (_frames is { HasBuffered: true } frames && _state == SocketState.Open)
        {
            frames.OnEndOfFile();
        }
    }

    private void ReleaseFrames()
    {
        _frames?.Release();
        _frames = null;
        _framesDriver = null;
    }

    private static bool IsAsciiCompatible(Encoding encoding) => encoding.IsSingleByte || encoding.CodePage == 65001;
}
