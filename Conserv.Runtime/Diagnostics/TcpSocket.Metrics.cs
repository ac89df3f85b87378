using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace Conserv;

// What a socket reports to ConservMetrics: its open/close (with duration and cause), its bytes, its errors and
// time-outs, and its share of the loop's paused and queued totals.
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
        if (ConservMetrics.Errors.Enabled)
        {
            ConservMetrics.Errors.Add(1, ConservMetrics.ErrorType(error), new KeyValuePair<string, object?>("conserv.error.outcome", dropped ? "dropped" : "handled"));
        }

        if (error is SocketTimeoutException && ConservMetrics.Timeouts.Enabled)
        {
            string kind = error switch
            {
                IdleTimeoutException => "idle",
                ConnectTimeoutException => "connect",
                _ => "deadline",
            };
            ConservMetrics.Timeouts.Add(1, new KeyValuePair<string, object?>("conserv.timeout.kind", kind));
        }
    }

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
