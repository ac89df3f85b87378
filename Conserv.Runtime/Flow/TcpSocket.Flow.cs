using System;
using System.Threading;

namespace Conserv;

// Flow control of a socket's output: water marks that stop reading while the peer does not take what is
// sent (so a request/response server queues at most about one read's worth of replies), and a hard limit
// past which writes are refused. Every change of the queued length goes through OnOutputLevelChanged.
public sealed partial class TcpSocket
{
    private int _highWaterMark;
    private int _lowWaterMark;
    private long _outputLimit;
    private long _postedOutput;
    private bool _outputBlocked;
    private OutputOverflowException? _pendingOverflow;

    /// <summary>
    /// False while queued output is above <see cref="OutputHighWaterMark"/> and has not yet drained to
    /// <see cref="OutputLowWaterMark"/>. While false the socket does not read (the peer's sending is throttled by
    /// TCP); writes are still accepted up to <see cref="OutputLimit"/>.
    /// </summary>
    public bool IsWritable => !_outputBlocked;

    /// <summary>Queued output above which the socket stops reading and is not <see cref="IsWritable"/>.</summary>
    public int OutputHighWaterMark => _highWaterMark;

    /// <summary>Queued output at or below which a blocked socket reads again and is writable again.</summary>
    public int OutputLowWaterMark => _lowWaterMark;

    /// <summary>
    /// The most output this socket may hold queued; a write beyond it is refused whole and the socket gets an
    /// <see cref="OutputOverflowException"/> through its error dispatch. Null: no limit. Settable from any thread.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public long? OutputLimit
    {
        get => _outputLimit == long.MaxValue ? null : _outputLimit;
        set
        {
            if (value is { } limit)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(OutputLimit));
            }

            Volatile.Write(ref _outputLimit, value ?? long.MaxValue);
        }
    }

    /// <summary>Sets this socket's water marks (see <see cref="TcpSocketOptions.OutputHighWaterMark"/>). Safe from any thread.</summary>
    /// <param name="low">Queued bytes at or below which a blocked socket reads again; zero or more.</param>
    /// <param name="high">Queued bytes above which the socket stops reading; at least <paramref name="low"/> and at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="low"/> is negative or <paramref name="high"/> is less than 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="low"/> is above <paramref name="high"/>.</exception>
    public void SetOutputWaterMarks(int low, int high)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(low);
        ArgumentOutOfRangeException.ThrowIfLessThan(high, 1);
        if (low > high)
        {
            throw new ArgumentException($"The low water mark ({low}) must not be above the high one ({high}).", nameof(low));
        }

        _loop.RunOrPost(this, static (s, marks) =>
        {
            (s._lowWaterMark, s._highWaterMark) = ((int, int))marks!;
            s.OnOutputLevelChanged();
        }, (low, high));
    }

    /// <summary>Discards what is queued (an abort, a fault): the segments go back to the pool.</summary>
    private void DropQueuedOutput()
    {
        _output?.Clear();
        _awaitingWritable = false;
    }

    private void InitializeFlow(TcpSocketOptions options)
    {
        _highWaterMark = options.OutputHighWaterMark;
        _lowWaterMark = options.OutputLowWaterMark;
        _outputLimit = options.OutputLimit ?? long.MaxValue;
    }

    /// <summary>
    /// The one accounting point for queued output: crossing the high mark stops reading, draining to the low
    /// mark starts it again.
    /// </summary>
    private void OnOutputLevelChanged()
    {
        long queued = BytesQueued;
        CountQueued(queued);
        if (!_outputBlocked)
        {
            if (queued > _highWaterMark)
            {
                _outputBlocked = true;
                UpdateInterest();
            }
        }
        else if (queued <= _lowWaterMark)
        {
            _outputBlocked = false;
            UpdateInterest();
        }
    }

    /// <summary>
    /// The queued length at or below which output-empty is raised: zero, or the low water mark for a driver
    /// that asked to hear as soon as the socket can take more.
    /// </summary>
    private long OutputEmptyThreshold => (_features & SocketDriverFeatures.OutputEmptyAtLowWaterMark) != 0 ? _lowWaterMark : 0;

    /// <summary>
    /// Checks a write of <paramref name="length"/> bytes against the output limit; when it does not fit, records an
    /// overflow for the socket's error dispatch (one at a time) and returns false: the write is refused whole.
    /// </summary>
    private bool AdmitOutput(long length)
    {
        long queued = BytesQueued + Volatile.Read(ref _postedOutput);
        long limit = Volatile.Read(ref _outputLimit);
        if (queued + length <= limit)
        {
            return true;
        }

        Overflow(new OutputOverflowException(queued, length, limit));
        return false;
    }

    /// <summary>Dispatches an overflow to this socket's own error handlers once none of its handlers runs.</summary>
    private void Overflow(OutputOverflowException error)
    {
        if (!_loop.IsLoopThread)
        {
            _loop.Post(static s => { var (socket, e) = ((TcpSocket, OutputOverflowException))s!; socket.Overflow(e); }, (this, error));
            return;
        }

        if (_pendingOverflow is not null || _state == SocketState.Closed)
        {
            return; // one report at a time: later refused writes are only discarded
        }

        _pendingOverflow = error;
        if (_eventDepth == 0)
        {
            // Usually another socket's handler is writing (a broadcast): this socket's errors run on their own.
            _loop.Post(static s => ((TcpSocket)s!).RaisePendingOverflow(), this);
        }
    }

    private void RaisePendingOverflow()
    {
        if (_pendingOverflow is { } overflow && _eventDepth == 0)
        {
            _pendingOverflow = null;
            RaiseError(overflow, fatal: false);
        }
    }
}
