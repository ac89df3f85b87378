using System;

namespace Conserv;

// Closing: a graceful close sends what is queued (and what the transport holds) first; an abort does not. Either
// way the transport is released and the close event runs exactly once, always last.
public sealed partial class TcpSocket
{
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
