using System;
using System.Threading.Tasks;

namespace Conserv;

// Error dispatch: every fault of the socket (a failed read or write, a handler's exception, a time-out) goes to
// the driver's error handlers, most specific type first; unhandled or fatal, the connection is dropped.
public sealed partial class TcpSocket
{
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
}
