using System;
using System.Net;
using System.Threading;
using Conserv.Interop;

namespace Conserv;

// What a server does at its limits: clients beyond MaxConnections (or beyond the per-address cap) are accepted
// and closed at once, and counted; an accept that fails for want of descriptors, buffers or memory closes
// nothing: it is reported, pending clients are turned away, and accepting pauses briefly and resumes by itself.
public sealed partial class TcpServer
{
    private static readonly TimeSpan s_firstAcceptRetry = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_longestAcceptRetry = TimeSpan.FromSeconds(1);

    private ConnectionLimits? _limits;
    private long _rejected;
    private long _acceptFailures;
    private TimeSpan _acceptRetry;
    private LoopTimer? _acceptRetryTimer;

    /// <summary>
    /// Connections turned away so far: accepted and closed at once because the server held
    /// <see cref="TcpServerOptions.MaxConnections"/> clients (or the per-address limit was reached), or because the
    /// process had run out of descriptors.
    /// </summary>
    public long RejectedConnections => Interlocked.Read(ref _rejected);

    /// <summary>
    /// Accepts that failed for a reason that is not the listener's fault (out of descriptors, buffers or memory).
    /// Each is retried after a short pause; none closes the server or any client.
    /// </summary>
    public long AcceptFailures => Interlocked.Read(ref _acceptFailures);

    /// <summary>True while accepting is held back after a failed accept (it resumes by itself).</summary>
    private bool AcceptSuspended => _acceptRetryTimer is not null;

    /// <summary>Admits an accepted connection under the server's limits, or counts it as turned away (the caller closes it).</summary>
    private bool Admit(IPAddress? remote)
    {
        _limits ??= new ConnectionLimits(_options);
        if (_limits.TryAdmit(remote))
        {
            return true;
        }

        Interlocked.Increment(ref _rejected);
        CountRejected(1);
        if (_loop.ServerLog is { } log)
        {
            RuntimeLog.ConnectionRejected(log, ToString(), $"{remote?.ToString() ?? "a local client"}: over MaxConnections ({_options.MaxConnections}) or MaxConnectionsPerAddress");
        }

        return false;
    }

    private static void CountRejected(long count)
    {
        if (count > 0 && ConservMetrics.RejectedConnections.Enabled)
        {
            ConservMetrics.RejectedConnections.Add(count);
        }
    }

    private void ReleaseSlot(TcpSocket client) => _limits?.Release(client.RemoteAddress);

    /// <summary>
    /// A transient accept failure: reported to the server's error handlers (the server keeps serving whatever they
    /// do), then, out of descriptors, the waiting clients are turned away with the loop's spare descriptor, and
    /// accepting pauses, twice as long after each failure in a row (50 ms up to 1 s).
    /// </summary>
    private void OnTransientAcceptFailure(int errno)
    {
        Interlocked.Increment(ref _acceptFailures);
        bool firstInARow = _acceptRetry == TimeSpan.Zero;
        _acceptRetry = firstInARow ? s_firstAcceptRetry : TimeSpan.FromTicks(Math.Min(_acceptRetry.Ticks * 2, s_longestAcceptRetry.Ticks));

        if (errno is Libc.EMFILE or Libc.ENFILE)
        {
            long shed = _loop.Spare.ShedPending(_fd);
            Interlocked.Add(ref _rejected, shed);
            CountRejected(shed);
        }

        _acceptRetryTimer = _loop.Schedule(_acceptRetry, static s => ((TcpServer)s!).RetryAccept(), this);
        UpdateListenerInterest();
        if (firstInARow)
        {
            // One report per run of failures: a flood of them would only add to the load.
            var failure = Errno.Exception(errno, "accept");
            if (_loop.ServerLog is { } log)
            {
                RuntimeLog.AcceptFailed(log, ToString(), failure.Message, _acceptRetry.TotalMilliseconds);
            }

            ReportTransient(failure);
        }
    }

    private void RetryAccept()
    {
        _acceptRetryTimer = null;
        UpdateListenerInterest();
    }

    /// <summary>An accept succeeded: the next failure starts again from the shortest pause.</summary>
    private void AcceptSucceeded() => _acceptRetry = TimeSpan.Zero;

    private void CancelAcceptRetry()
    {
        _acceptRetryTimer?.Cancel();
        _acceptRetryTimer = null;
    }

    /// <summary>Runs the server's error dispatch for a fault that does not close it.</summary>
    private void ReportTransient(Exception error)
    {
        if (_serverDriver is not { } driver)
        {
            _loop.ReportUnhandled(error, null, this);
            return;
        }

        var previous = _loop.CurrentServer;
        _loop.CurrentServer = this;
        try
        {
            var handled = driver.OnServerError(this, error);
            if (handled.IsCompleted && !handled.GetAwaiter().GetResult())
            {
                _loop.ReportUnhandled(error, null, this);
            }
        }
        catch (Exception handlerFailure)
        {
            _loop.ReportUnhandled(handlerFailure, null, this);
        }
        finally
        {
            _loop.CurrentServer = previous;
        }
    }
}
