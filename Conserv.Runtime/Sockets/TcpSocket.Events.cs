using System;
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

        if (_flushRequested && _loop.DefersFlushes && !_closing)
        {
            _loop.FlushAfterBatch(this); // the write, and what follows from it, once the loop's batch of events is handled
            return;
        }

        FinishHandlers();
    }

    /// <summary>What the socket's handlers left to do: their gathered write, a fault or overflow to raise, a close to finish, output-empty.</summary>
    internal void FinishHandlers()
    {
        if (_state == SocketState.Closed || _eventDepth > 0)
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
                if (_state != SocketState.Open || _closing || _pendingFault is not null || BytesQueued > OutputEmptyThreshold
                    || (OutputEmptyThreshold == 0 && _transport is { HasPendingOutput: true }))
                {
                    break; // for "empty", ciphertext a TLS layer still holds counts too: writability raises it once that has left
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
}
