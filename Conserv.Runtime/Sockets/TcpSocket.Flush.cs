using System;
using Conserv.Interop;

namespace Conserv;

// Flushing: what a loop callback wrote to a socket goes to the kernel in one gathered write (sendmsg over the
// queued segments) when the callback returns — after the loop's current batch of readiness events when the
// socket's own handlers wrote during it (EventLoop.FlushBatchWrites), at the end of the socket's own outermost
// handler (AfterHandlers) when that has more to finish or ran outside a batch, or, for writes from elsewhere (another socket's handler, a timer, posted work), right after
// that callback through the loop's pending-flush list. What the kernel does not take waits for writability
// (FlushOutput), which drains the queue with gathered writes too. So a pipelined batch of requests that
// arrives in one read is answered with one system call, as Redis answers from its per-iteration write.
public sealed partial class TcpSocket
{
    private const int MaxVectorsPerWrite = 64;

    private bool _flushRequested;
    private bool _awaitingWritable;

    /// <summary>Gathered writes (sendmsg calls) made so far: how tests see that writes coalesce.</summary>
    internal long GatheredWrites { get; private set; }

    /// <summary>True when a write may go to the kernel now: connected, and not already waiting for writability.</summary>
    private bool CanSendNow => _state == SocketState.Open && !_awaitingWritable && _transport is not null;

    /// <summary>Asks for a gathered write once the running callback returns.</summary>
    private void RequestFlush()
    {
        if (_flushRequested || _state != SocketState.Open)
        {
            return; // already asked; or not connected yet (the connect completion flushes)
        }

        _flushRequested = true;
        if (_eventDepth == 0)
        {
            _loop.EnlistFlush(this);
        }
    }

    /// <summary>The loop's pending-flush list calls this after the callback that wrote.</summary>
    internal void FlushIfRequested()
    {
        if (_flushRequested && _eventDepth == 0)
        {
            Flush();
            if (_closing)
            {
                TryFinishClose();
            }
        }
    }

    /// <summary>One gathered write of everything queued (unless the socket waits for writability, which drains it then).</summary>
    private void Flush()
    {
        _flushRequested = false;
        if (CanSendNow && _output is { IsEmpty: false })
        {
            SendQueuedThen(ReadOnlySpan<byte>.Empty);
        }

        AfterSend(); // also when waiting for writability: what was appended counts against the water marks
    }

    /// <summary>Drains the output queue on writability; then finishes a close or raises output-empty.</summary>
    private void FlushOutput()
    {
        _awaitingWritable = false;
        _flushRequested = false;
        SendQueuedThen(ReadOnlySpan<byte>.Empty);
        if (_pendingFault is not null)
        {
            RaisePendingFault();
            return;
        }

        AfterSend();
        if (_closing)
        {
            TryFinishClose();
        }
        else
        {
            RaiseOutputEmptyIfDue();
        }
    }

    /// <summary>After a send: the water marks and epoll interest follow what is left.</summary>
    private void AfterSend()
    {
        OnOutputLevelChanged();
        UpdateInterest();
    }

    /// <summary>
    /// Sends what is queued and then <paramref name="tail"/> (a large write, sent without copying) in gathered
    /// writes, as far as the kernel takes them; what it does not take of <paramref name="tail"/> is queued. A write
    /// fault is recorded (<see cref="Fault"/>) and the queue dropped.
    /// </summary>
    private unsafe void SendQueuedThen(ReadOnlySpan<byte> tail)
    {
        var vectors = stackalloc Libc.IoVector[MaxVectorsPerWrite];
        long tailSent = 0;
        fixed (byte* tailBytes = tail)
        {
            while (true)
            {
                int queuedSegments = _output?.SegmentCount ?? 0;
                long queuedBytes = 0;
                int count = _output?.Gather(vectors, MaxVectorsPerWrite - 1, out queuedBytes) ?? 0;
                long tailLeft = tail.Length - tailSent;
                if (count == queuedSegments && tailLeft > 0)
                {
                    // The whole queue is in this write: the large write can follow it.
                    vectors[count].Base = tailBytes + tailSent;
                    vectors[count].Length = (nuint)tailLeft;
                    count++;
                }
                else
                {
                    tailLeft = 0;
                }

                if (count == 0)
                {
                    break;
                }

                nint sent = _transport!.Send(vectors, count);
                GatheredWrites++;
                if (sent < 0)
                {
                    int errno = (int)-sent;
                    if (errno == Libc.EINTR)
                    {
                        continue;
                    }

                    if (errno == Libc.EAGAIN)
                    {
                        _awaitingWritable = true;
                        break;
                    }

                    Fault(Errno.Exception(errno, "send"));
                    return;
                }

                _bytesWritten += sent;
                CountWritten(sent);
                _lastActivity = _loop.Now;
                long fromQueue = Math.Min(sent, queuedBytes);
                if (fromQueue > 0)
                {
                    _output!.Consume(fromQueue);
                }

                tailSent += sent - fromQueue;
                if (sent < queuedBytes + tailLeft)
                {
                    _awaitingWritable = true; // the kernel's buffer is full
                    break;
                }
            }
        }

        if (tailSent < tail.Length)
        {
            (_output ??= new OutputQueue(_loop.OutputSegments)).Append(tail.Slice((int)tailSent));
            _awaitingWritable |= _state == SocketState.Open;
        }
    }
}
