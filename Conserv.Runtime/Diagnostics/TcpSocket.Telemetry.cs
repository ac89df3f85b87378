using System;
using System.Collections.Generic;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Conserv;

// What a socket reports: to ConservMetrics its open/close (with duration and cause), its bytes, its errors and
// time-outs, and its share of the loop's paused and queued totals; to the loop's connection logger (if any) its
// open, its close and cause, and each error dispatch's outcome. Nothing is logged per read or write.
public sealed partial class TcpSocket
{
    private long _openedAt;
    private bool _countedOpen;
    private bool _countedPaused;
    private long _countedQueued;

    /// <summary>The socket is open (accepted, or its connect completed).</summary>
    private void CountOpened()
    {
        _openedAt = Stopwatch.GetTimestamp();
        _countedOpen = true;
        _loop.CountConnection(1);
        if (ConservMetrics.Connections.Enabled)
        {
            ConservMetrics.Connections.Add(1, ConservMetrics.Transport(IsLocal), new KeyValuePair<string, object?>("conserv.connection.side", _server is null ? "client" : "server"));
        }

        if (_loop.ConnectionLog is { } log && log.IsEnabled(LogLevel.Debug))
        {
            RuntimeLog.ConnectionOpened(log, ToString());
        }
    }

    /// <summary>The socket closed: its duration, and its shares of the loop's totals given back.</summary>
    private void CountClosed(Exception? cause)
    {
        CountReading(paused: false);
        CountQueued(0);
        if (!_countedOpen)
        {
            return;
        }

        _countedOpen = false;
        _loop.CountConnection(-1);
        if (_loop.ConnectionLog is { } log)
        {
            if (cause is not null && log.IsEnabled(LogLevel.Information))
            {
                RuntimeLog.ConnectionClosedByError(log, ToString(), cause.GetType().Name, cause.Message);
            }
            else if (cause is null && log.IsEnabled(LogLevel.Debug))
            {
                RuntimeLog.ConnectionClosed(log, ToString());
            }
        }

        if (ConservMetrics.ConnectionDuration.Enabled)
        {
            double seconds = Stopwatch.GetElapsedTime(_openedAt).TotalSeconds;
            if (cause is null)
            {
                ConservMetrics.ConnectionDuration.Record(seconds, ConservMetrics.Transport(IsLocal));
            }
            else
            {
                ConservMetrics.ConnectionDuration.Record(seconds, ConservMetrics.Transport(IsLocal), ConservMetrics.ErrorType(cause));
            }
        }
    }

    private void CountRead(long count)
    {
        if (ConservMetrics.BytesRead.Enabled)
        {
            ConservMetrics.BytesRead.Add(count);
        }
    }

    private void CountWritten(long count)
    {
        if (ConservMetrics.BytesWritten.Enabled)
        {
            ConservMetrics.BytesWritten.Add(count);
        }
    }

    private void CountError(Exception error, bool dropped)
    {
        if (_loop.ConnectionLog is { } log)
        {
            LogError(log, error, dropped);
        }

        if (ConservMetrics.Errors.Enabled)
        {
            ConservMetrics.Errors.Add(1, ConservMetrics.ErrorType(error), new KeyValuePair<string, object?>("conserv.error.outcome", dropped ? "dropped" : "handled"));
        }

        if (error is SocketTimeoutException && ConservMetrics.Timeouts.Enabled)
        {
            ConservMetrics.Timeouts.Add(1, new KeyValuePair<string, object?>("conserv.timeout.kind", TimeoutKind(error)));
        }
    }

    private void LogError(ILogger log, Exception error, bool dropped)
    {
        if (error is SocketTimeoutException && log.IsEnabled(LogLevel.Information))
        {
            RuntimeLog.TimedOut(log, ToString(), TimeoutKind(error));
        }
        else if (error is OutputOverflowException overflow && log.IsEnabled(LogLevel.Warning))
        {
            RuntimeLog.OutputOverflow(log, ToString(), overflow.Queued, overflow.Refused);
        }

        if (dropped && log.IsEnabled(LogLevel.Information))
        {
            RuntimeLog.ErrorDropped(log, ToString(), error.GetType().Name, error);
        }
        else if (!dropped && log.IsEnabled(LogLevel.Debug))
        {
            RuntimeLog.ErrorHandled(log, ToString(), error.GetType().Name, error);
        }
    }

    /// <summary>The kind a time-out is reported as, in metrics and logs: idle, connect or deadline.</summary>
    private static string TimeoutKind(Exception timeout) => timeout switch
    {
        IdleTimeoutException => "idle",
        ConnectTimeoutException => "connect",
        _ => "deadline",
    };

    /// <summary>Whether the socket counts as paused (not reading although open): follows every interest update.</summary>
    private void CountReading(bool paused)
    {
        if (paused != _countedPaused)
        {
            _countedPaused = paused;
            _loop.CountPaused(paused ? 1 : -1);
        }
    }

    private void CountQueued(long queued)
    {
        if (queued != _countedQueued)
        {
            _loop.CountQueued(queued - _countedQueued);
            _countedQueued = queued;
        }
    }
}
