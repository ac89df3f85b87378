using System;
using System.Buffers;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Interop;

namespace Conserv;

// Where each socket event is raised: readiness from the loop's poller comes in at OnPoll; every
// driver call goes through Enter/Exit so TcpSocket.Current is set and deferred work (a close requested
// inside a handler, a write fault, output-empty) runs once the outermost handler of the socket returns.
public sealed partial class TcpSocket
{
    private const int MaxOutputEmptyRounds = 16;

    private bool _userPaused;
    private PauseTimeout _pauseTimeout;
    private bool _handlerPending;
    private bool _readClosed;
    private bool _closing;
    private bool _hangup;
    private bool _wroteSinceOutputEmpty;
    private bool _raisingOutputEmpty;
    private int _eventDepth;
    private bool _dropRequested;
    private Exception? _dropCause;
    private Exception? _pendingFault;

    void IPollTarget.OnPoll(uint events)
    {
        if (_state == SocketState.Connecting)
        {
            OnConnectReady(events);
            return;
        }

        if (_state != SocketState.Open)
        {
            return;
        }

        events = _transport!.Process(events); // a TLS layer moves ciphertext here and reports plaintext readiness
        if ((events & Libc.EPOLLHUP) != 0)
        {
            _hangup = true;
        }

        if ((events & Libc.EPOLLERR) != 0)
        {
            var fault = _transport.TakeFault();
            if (fault is not null)
            {
                RaiseError(fault, fatal: true);
                return;
            }
        }

        if ((events & Libc.EPOLLOUT) != 0)
        {
            FlushOutput();
            if (_state != SocketState.Open)
            {
                return;
            }
        }

        if ((events & (Libc.EPOLLIN | Libc.EPOLLHUP | Libc.EPOLLRDHUP)) != 0)
        {
            if (IsReading && _frames is { Stalled: true })
            {
                DeliverBufferedFrames(); // frames buffered while delivery was stopped go before anything read now
            }

            if (IsReading)
            {
                OnReadable();
            }
            else
            {
                UpdateInterest();
            }
        }
    }

    void IPollTarget.AbortNow() => AbortCore(null);

    void IPollTarget.CloseGracefully() => CloseCore();

    private bool IsReading => !_userPaused && !_handlerPending && !_readClosed && !_outputBlocked;

    /// <summary>Makes the transport watch what the socket needs now: reads unless paused or done, writes while output is queued.</summary>
    private void UpdateInterest()
    {
        if (_transport is null || _state != SocketState.Open)
        {
            return;
        }

        EnlistFramesIfStalled();
        CountReading(paused: _userPaused || _outputBlocked);
        uint wanted = (IsReading ? Libc.EPOLLIN | Libc.EPOLLRDHUP : 0) | (_awaitingWritable ? Libc.EPOLLOUT : 0);
        _transport.SetInterest(wanted, _hangup);
    }

    // ---- reading --------------------------------------------------------------------------------

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

    // ---- connect --------------------------------------------------------------------------------

    private void OnConnectReady(uint events)
    {
        int error = _transport!.TakeError();
        if (error == 0 && (events & Libc.EPOLLOUT) == 0)
        {
            error = Libc.ECONNREFUSED;
        }

        if (error != 0)
        {
            if (TryNextAddress())
            {
                return;
            }

            RaiseError(Errno.Exception(error, $"connect to {ConnectTarget}"), fatal: true);
            return;
        }

        _state = SocketState.Open;
        CountOpened();
        _transport.GetLocalEndPoint(out _localAddress, out _localPort);
        OnConnected();
        if (_clientTls is { } tls)
        {
            BeginTls(null, tls); // the connect event runs once the handshake has completed
            return;
        }

        UpdateInterest();
        RaiseConnect();
    }

    /// <summary>Raises the connect event: after the TCP connect, or after the TLS handshake; then sends what was queued.</summary>
    private void RaiseConnect()
    {
        var driver = _driver;
        if (driver is not null)
        {
            var previous = Enter();
            try
            {
                ObserveHandler(driver.OnSocketConnect(this));
            }
            catch (Exception e)
            {
                RaiseError(e, fatal: false);
            }
            finally
            {
                Exit(previous);
            }
        }

        if (_output is { IsEmpty: false } && _state == SocketState.Open)
        {
            FlushOutput();
        }
    }

    // ---- errors ---------------------------------------------------------------------------------

    /// <summary>
    /// One call of the error dispatch. The connection is dropped when no handler matched, when a handler
    /// asked for it, when the error handler itself failed, or when the fault left the socket unusable.
    /// </summary>
    internal void RaiseError(Exception error, bool fatal)
    {
        if (_state == SocketState.Closed)
        {
            return;
        }

        var driver = _driver;
        if (driver is null)
        {
            CountError(error, dropped: true);
            AbortCore(error);
            return;
        }

        var previousScope = _loop.ErrorScope;
        _loop.ErrorScope = this;
        _dropRequested = false;
        _dropCause = null;
        var previous = Enter();
        try
        {
            bool drop;
            bool decidedLater = false;
            try
            {
                var handled = driver.OnSocketError(this, error);
                if (handled.IsCompleted)
                {
                    drop = !handled.GetAwaiter().GetResult();
                }
                else
                {
                    drop = false;
                    decidedLater = !(_dropRequested || fatal);
                    ObserveErrorHandler(handled, error, counted: !decidedLater);
                }
            }
            catch (Exception handlerFailure)
            {
                _loop.ReportUnhandled(handlerFailure, this, null);
                drop = true;
            }

            // The error handler is over: the close event AbortCore raises must not count as inside it
            // (DropConnection there would wrongly succeed). The finally restores it again on an exception.
            _loop.ErrorScope = previousScope;
            bool dropping = drop || _dropRequested || fatal;
            if (!decidedLater)
            {
                CountError(error, dropping);
            }
            if (dropping)
            {
                AbortCore(_dropCause ?? error);
            }
        }
        finally
        {
            _loop.ErrorScope = previousScope;
            Exit(previous);
        }
    }

    /// <summary>An async error handler: the connection is dropped if it finds no match or fails; <paramref name="counted"/>: the outcome is already in the metrics.</summary>
    private void ObserveErrorHandler(ValueTask<bool> handled, Exception error, bool counted)
    {
        handled.GetAwaiter().OnCompleted(() =>
        {
            bool drop;
            try
            {
                drop = !handled.GetAwaiter().GetResult();
            }
            catch (Exception handlerFailure)
            {
                _loop.ReportUnhandled(handlerFailure, this, null);
                drop = true;
            }

            if (!counted)
            {
                CountError(error, drop);
            }

            if (drop)
            {
                AbortCore(error);
            }
        });
    }

    internal void RequestDrop(Exception? cause)
    {
        _dropRequested = true;
        _dropCause = cause;
    }

    /// <summary>Records a write fault; the error dispatch runs once no handler of the socket is running.</summary>
    private void Fault(Exception error)
    {
        _pendingFault ??= error;
        DropQueuedOutput();
        if (_eventDepth == 0)
        {
            _loop.Post(static s => ((TcpSocket)s!).RaisePendingFault(), this);
        }
    }

    private void RaisePendingFault()
    {
        if (_pendingFault is { } fault)
        {
            _pendingFault = null;
            RaiseError(fault, fatal: true);
        }
    }

    // ---- handler scope ----------------------------------------------------------------------------

    /// <summary>Opens a handler scope of this socket (also used by the server around OnServerConnection).</summary>
    internal TcpSocket? Enter()
    {
        var previous = _loop.CurrentSocket;
        _loop.CurrentSocket = this;
        _eventDepth++;
        return previous;
    }

    /// <summary>Closes a handler scope; the outermost one runs what handlers deferred.</summary>
    internal void Exit(TcpSocket? previous)
    {
        _loop.CurrentSocket = previous;
        if (--_eventDepth == 0)
        {
            AfterHandlers();
        }
    }

    /// <summary>What a handler asked for that must wait until it returned.</summary>
    private void AfterHandlers()
    {
        if (_state == SocketState.Closed)
        {
            return;
        }

        if (_flushRequested)
        {
            Flush(); // one gathered write for everything the handlers wrote
        }

        if (_pendingFault is not null)
        {
            RaisePendingFault();
            return;
        }

        if (_pendingOverflow is not null)
        {
            RaisePendingOverflow();
            if (_state == SocketState.Closed)
            {
                return;
            }
        }

        if (_closing)
        {
            TryFinishClose();
            return;
        }

        RaiseOutputEmptyIfDue();
    }

    /// <summary>
    /// Raises output-empty when something was written since the last one and the kernel has it all.
    /// A handler that writes again from output-empty is called again (bounded per turn, so one fast
    /// stream cannot starve the loop's other sockets).
    /// </summary>
    internal void RaiseOutputEmptyIfDue()
    {
        if (_raisingOutputEmpty || _eventDepth > 0)
        {
            return;
        }

        _raisingOutputEmpty = true;
        try
        {
            for (int round = 0; _wroteSinceOutputEmpty; round++)
            {
                if (_state != SocketState.Open || _closing || _pendingFault is not null || BytesQueued > OutputEmptyThreshold)
                {
                    break;
                }

                if (round == MaxOutputEmptyRounds)
                {
                    _loop.EnlistOutputEmpty(this);
                    break;
                }

                _wroteSinceOutputEmpty = false;
                var driver = _driver;
                if (driver is null)
                {
                    break;
                }

                var previous = Enter();
                try
                {
                    ObserveHandler(driver.OnSocketOutputEmpty(this));
                }
                catch (Exception e)
                {
                    RaiseError(e, fatal: false);
                }
                finally
                {
                    // Exit would recurse into RaiseOutputEmptyIfDue; this loop takes its place, and what
                    // Exit's AfterHandlers would do comes after it.
                    _loop.CurrentSocket = previous;
                    _eventDepth--;
                }

                if (_flushRequested)
                {
                    Flush(); // what the handler wrote, before deciding whether output is empty again
                }
            }
        }
        finally
        {
            _raisingOutputEmpty = false;
        }

        // What a handler asked for: a write fault to dispatch, or a Close() to complete (the handler may
        // have called it right after a write the kernel took at once, so nothing else would finish it).
        if (_pendingFault is not null)
        {
            RaisePendingFault();
        }
        else if (_closing)
        {
            TryFinishClose();
        }
    }

    // ---- pause -------------------------------------------------------------------------------------

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

    // ---- closing -----------------------------------------------------------------------------------

    private void CloseCore()
    {
        if (_state == SocketState.Closed || _closing)
        {
            return;
        }

        _closing = true;
        _readClosed = true;
        UpdateInterest();
        if (_eventDepth == 0)
        {
            TryFinishClose();
        }
    }

    /// <summary>Completes a graceful close once nothing is queued and no handler of the socket runs.</summary>
    private void TryFinishClose()
    {
        if (!_closing || _state is SocketState.Closed || _eventDepth > 0)
        {
            return;
        }

        if (_state is SocketState.Resolving or SocketState.Connecting)
        {
            return;
        }

        if (_output is { IsEmpty: false } || _handlerPending)
        {
            return; // the drain, or the data handler's task, finishes the close
        }

        if (_transport is { HasPendingOutput: true })
        {
            // The transport's own output (a TLS layer's ciphertext) has not left: writability finishes the close.
            _awaitingWritable = true;
            UpdateInterest();
            return;
        }

        if (_transport is not null)
        {
            _transport.ShutdownWrite();
            _transport.DiscardInput(_loop.ReadBuffer(ReadSize)); // so the close does not answer unread input with a reset
        }

        Finish(null);
    }

    internal void AbortCore(Exception? cause)
    {
        if (_state == SocketState.Closed)
        {
            return;
        }

        DropQueuedOutput();
        if (cause is OutputOverflowException or SocketTimeoutException)
        {
            // The peer does not read or does not answer: reset, so the kernel does not go on trying to deliver
            // a send buffer's worth to it after the close (at the pace of a peer that may never read).
            _transport?.ResetOnClose();
        }

        Finish(cause);
    }

    /// <summary>Stops readiness and releases the connection (for the kernel's transport: leaves epoll, closes the descriptor).</summary>
    private void ReleaseDescriptor()
    {
        _transport?.Close();
        _transport = null;
    }

    /// <summary>Releases the descriptor and raises the close event: exactly once, always last.</summary>
    private void Finish(Exception? cause)
    {
        _state = SocketState.Closed;
        _pauseTimeout.Cancel();
        CancelTimeouts();
        _pendingFault = null;
        ReleaseDescriptor();
        DropQueuedOutput();
        ReleaseFrames();
        CountClosed(cause);
        _server?.RemoveClient(this);
        _loop.Forget(this);

        var driver = _driver;
        if (driver is not null)
        {
            var previous = _loop.CurrentSocket;
            _loop.CurrentSocket = this;
            try
            {
                driver.OnSocketClose(this, cause);
            }
            catch (Exception e)
            {
                _loop.ReportUnhandled(e, this, null);
            }
            finally
            {
                _loop.CurrentSocket = previous;
            }
        }

        _closeSignal.Signal();
        _server?.ClientClosed();
    }
}
