using System;
using System.Buffers;
using System.Text;
using System.Threading.Tasks;
using Conserv.Interop;

namespace Conserv;

// Reading: one receive per readiness event, then delivery to the driver — raw bytes, decoded text, or framing —
// with an async data handler holding the socket's reads until it completes; the end of the stream; pausing.
public sealed partial class TcpSocket
{
    private void OnReadable()
    {
        int size = ReadSize;
        var buffer = _loop.ReadBuffer(size);
        int count = _transport!.Receive(buffer.AsSpan(0, size));
        if (count > 0)
        {
            _bytesRead += count;
            CountRead(count);
            _lastActivity = _loop.Now;
            AdaptReadSize(count);
            DeliverData(buffer, count);
            return;
        }

        if (count == 0)
        {
            OnEndOfFile();
            return;
        }

        int errno = -count;
        if (errno is not (Libc.EAGAIN or Libc.EINTR))
        {
            RaiseError(Errno.Exception(errno, "recv"), fatal: true);
        }
    }

    private void DeliverData(byte[] buffer, int count)
    {
        var driver = _driver;
        if (driver is null)
        {
            return;
        }

        FrameReader? frames;
        byte[]? leftover;
        try
        {
            frames = FramesFor(driver, out leftover);
        }
        catch (Exception e)
        {
            RaiseError(e, fatal: true); // a framing the driver cannot take (say, a decoder without IFrameDriver)
            return;
        }

        if (frames is not null)
        {
            DeliverFrames(frames, buffer, count);
            return;
        }

        bool loopBuffer = leftover is null;
        if (leftover is not null)
        {
            // The driver that buffered a partial frame was replaced by one without framing: it gets those bytes
            // first, joined to this read in an array of its own (rare, so not pooled).
            var joined = new byte[leftover.Length + count];
            leftover.CopyTo(joined, 0);
            Buffer.BlockCopy(buffer, 0, joined, leftover.Length, count);
            (buffer, count) = (joined, joined.Length);
        }

        var previous = Enter();
        try
        {
            ValueTask pending;
            bool text = (_features & SocketDriverFeatures.TextData) != 0 && _formatIn is not null;
            if (text)
            {
                var chars = Decode(buffer, count, flush: false);
                if (chars == 0)
                {
                    return;
                }

                pending = driver.OnSocketText(this, new ReadOnlyMemory<char>(_loop.CharBuffer(0), 0, chars));
                if (!pending.IsCompleted)
                {
                    AwaitDataHandler(pending, _loop.DetachCharBuffer(), null);
                    return;
                }
            }
            else if ((_features & SocketDriverFeatures.ByteData) != 0)
            {
                pending = driver.OnSocketData(this, new ReadOnlyMemory<byte>(buffer, 0, count));
                if (!pending.IsCompleted)
                {
                    AwaitDataHandler(pending, null, loopBuffer ? _loop.DetachReadBuffer() : null);
                    return;
                }
            }
            else if ((_features & SocketDriverFeatures.TextData) != 0)
            {
                throw new InvalidOperationException(
                    $"The driver {driver.GetType().Name} takes only text, but the socket's ExternalFormatIn is null (raw bytes). Give the socket an input format, or add a byte data handler.");
            }
            else
            {
                return;
            }

            pending.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            if (e is DecoderFallbackException)
            {
                _decoder?.Reset();
            }

            RaiseError(e, fatal: false);
        }
        finally
        {
            Exit(previous);
        }
    }

    /// <summary>Decodes into the loop's char buffer with the socket's stateful decoder; returns the char count.</summary>
    private int Decode(byte[] buffer, int count, bool flush)
    {
        var encoding = _formatIn!;
        if (_decoder is null || !ReferenceEquals(_decoderEncoding, encoding))
        {
            _decoder = encoding.GetDecoder();
            _decoderEncoding = encoding;
        }

        var chars = _loop.CharBuffer(encoding.GetMaxCharCount(Math.Max(count, 1)));
        return _decoder.GetChars(buffer, 0, count, chars, 0, flush);
    }

    /// <summary>An async data handler holds its buffer: reads pause until its task completes, then the buffer goes back to the pool.</summary>
    private void AwaitDataHandler(ValueTask pending, char[]? heldChars, byte[]? heldBytes)
    {
        _handlerPending = true;
        UpdateInterest();
        pending.GetAwaiter().OnCompleted(() =>
        {
            _handlerPending = false;
            if (heldChars is not null)
            {
                ArrayPool<char>.Shared.Return(heldChars);
            }

            if (heldBytes is not null)
            {
                ArrayPool<byte>.Shared.Return(heldBytes);
            }

            CompleteHandler(pending);
            UpdateInterest();
            TryFinishClose(); // a Close() that came while the handler ran waited for it
        });
    }

    /// <summary>Observes a handler task that did not complete synchronously: a fault goes to error dispatch.</summary>
    private void ObserveHandler(ValueTask pending)
    {
        if (pending.IsCompleted)
        {
            pending.GetAwaiter().GetResult();
            return;
        }

        AwaitHandler(pending);
    }

    // Apart from ObserveHandler because a lambda capturing a parameter allocates its closure on method
    // entry: the synchronous path above must stay allocation-free.
    private void AwaitHandler(ValueTask pending) => pending.GetAwaiter().OnCompleted(() => CompleteHandler(pending));

    private void CompleteHandler(ValueTask pending)
    {
        var previous = Enter();
        try
        {
            pending.GetAwaiter().GetResult();
        }
        catch (Exception e) when (_state != SocketState.Closed)
        {
            RaiseError(e, fatal: false);
        }
        catch (Exception e)
        {
            _loop.ReportUnhandled(e, this, null);
        }
        finally
        {
            Exit(previous);
        }
    }

    private void OnEndOfFile()
    {
        _readClosed = true;
        UpdateInterest();
        var driver = _driver;
        var previous = Enter();
        try
        {
            EndFrames();

            // A character cut short by the end of the stream still reaches the text handler (as the
            // encoding's replacement), like a stateful decoder's final flush.
            if (_frames is null && (_features & SocketDriverFeatures.TextData) != 0 && _formatIn is not null && _decoder is not null)
            {
                int chars = Decode(Array.Empty<byte>(), 0, flush: true);
                if (chars > 0 && driver is not null)
                {
                    ObserveHandler(driver.OnSocketText(this, new ReadOnlyMemory<char>(_loop.CharBuffer(0), 0, chars)));
                }
            }

            if (driver is not null && _state == SocketState.Open)
            {
                ObserveHandler(driver.OnSocketEndOfFile(this));
            }
        }
        catch (Exception e)
        {
            RaiseError(e, fatal: false);
        }
        finally
        {
            Exit(previous);
        }

        if (!_options.AllowHalfOpen)
        {
            CloseCore();
        }
    }


    private void PauseCore(TimeSpan? timeout)
    {
        if (_state == SocketState.Closed)
        {
            return;
        }

        _userPaused = true;
        UpdateInterest();
        if (timeout is { } delay)
        {
            _pauseTimeout.Arm(_loop, delay, static s => ((TcpSocket)s!).ResumeCore(), this);
        }
    }

    private void ResumeCore()
    {
        if (!_userPaused)
        {
            return;
        }

        _userPaused = false;
        _pauseTimeout.Cancel();
        UpdateInterest();
    }
}
