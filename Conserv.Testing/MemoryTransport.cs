using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Interop;

namespace Conserv.Testing;

/// <summary>
/// One in-memory connection: the socket's side is the runtime's transport seam (called on the loop thread), the
/// peer's side is what <see cref="TestPeer"/> calls from the test's thread. Readiness reaches the socket as it does
/// from epoll — level-triggered, with the same bits, through a posted pump on the socket's loop — so the socket runs
/// the same state machine as over the kernel.
/// </summary>
internal sealed class MemoryTransport : SocketTransport
{
    private static readonly Action<object?> s_pump = static t => ((MemoryTransport)t!).Pump();

    private readonly object _gate = new();
    private readonly EventLoop _loop;
    private readonly IPEndPoint _local;
    private readonly int _window;
    private readonly ByteQueue _toSocket = new();
    private readonly ByteQueue _toPeer = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IPollTarget? _target;
    private uint _interest;
    private int _pumpPosted;
    private bool _released;

    // Peer to socket.
    private bool _peerEnded;
    private bool _peerClosed;
    private int _pendingError;
    private int _failNextReceive;

    // Socket to peer.
    private bool _socketEnded;
    private bool _peerReading = true;
    private long _unreadSincePause;
    private int _failNextSend;
    private bool _connectSilent;

    public MemoryTransport(EventLoop loop, IPEndPoint local, int window, PeerConnectBehavior connect)
    {
        _loop = loop;
        _local = local;
        _window = window;
        _connectSilent = connect == PeerConnectBehavior.Silent;
        if (connect == PeerConnectBehavior.Refuse)
        {
            _pendingError = Libc.ECONNREFUSED;
        }
    }

    /// <summary>Completes when the socket released the connection; true if it reset it.</summary>
    public Task Closed => _closed.Task;

    /// <summary>True once the socket closed the connection with a reset (SO_LINGER 0) instead of a graceful close.</summary>
    public bool WasReset { get; private set; }

    /// <summary>Where readiness goes: the socket, once made.</summary>
    public void Attach(IPollTarget target) => _target = target;

    // ---- the socket's side (loop thread) --------------------------------------------------------------

    public override int Receive(Span<byte> buffer)
    {
        lock (_gate)
        {
            if (TakeFault(ref _failNextReceive) is int injected and not 0)
            {
                return -injected;
            }

            if (TakeFault(ref _pendingError) is int error and not 0)
            {
                return -error;
            }

            if (_toSocket.Length > 0)
            {
                return _toSocket.Take(buffer);
            }

            return _peerEnded ? 0 : -Libc.EAGAIN;
        }
    }

    public override unsafe nint Send(Libc.IoVector* vectors, int count)
    {
        long taken = 0;
        lock (_gate)
        {
            if (TakeFault(ref _failNextSend) is int injected and not 0)
            {
                return -injected;
            }

            if (_peerClosed)
            {
                return -Libc.ECONNRESET; // data to a peer that closed is answered with a reset
            }

            long room = _peerReading ? long.MaxValue : Math.Max(0, _window - _unreadSincePause);
            for (int i = 0; i < count && room > 0; i++)
            {
                int length = (int)Math.Min((long)vectors[i].Length, room);
                _toPeer.Append(new ReadOnlySpan<byte>(vectors[i].Base, length));
                taken += length;
                room -= length;
            }

            if (!_peerReading)
            {
                _unreadSincePause += taken;
            }

            if (taken == 0)
            {
                return -Libc.EAGAIN;
            }
        }

        Changed();
        return (nint)taken;
    }

    public override void SetInterest(uint events, bool hungUp)
    {
        _interest = events;
        if (Readiness() != 0)
        {
            RequestPump();
        }
    }

    public override int TakeError()
    {
        lock (_gate)
        {
            return TakeFault(ref _pendingError);
        }
    }

    public override void ShutdownWrite()
    {
        lock (_gate)
        {
            _socketEnded = true;
        }

        Changed();
    }

    public override void DiscardInput(Span<byte> scratch)
    {
        lock (_gate)
        {
            _toSocket.Clear();
        }
    }

    public override void ResetOnClose() => WasReset = true;

    public override void Close()
    {
        lock (_gate)
        {
            _released = true;
            _socketEnded = true;
        }

        Changed();
        _closed.TrySetResult();
    }

    public override void GetLocalEndPoint(out IPAddress? address, out int port) => (address, port) = (_local.Address, _local.Port);

    // ---- readiness ----------------------------------------------------------------------------------

    /// <summary>What epoll would report now for the socket's interest: level-triggered, so it is asked again after each event.</summary>
    private uint Readiness()
    {
        lock (_gate)
        {
            if (_released || _connectSilent)
            {
                return 0;
            }

            uint bits = 0;
            if (_pendingError != 0)
            {
                bits |= Libc.EPOLLERR | Libc.EPOLLHUP; // reported whatever the socket asks for
            }

            if ((_interest & Libc.EPOLLIN) != 0 && (_toSocket.Length > 0 || _peerEnded || _failNextReceive != 0))
            {
                bits |= Libc.EPOLLIN | (_peerEnded ? Libc.EPOLLRDHUP : 0);
            }

            if ((_interest & Libc.EPOLLOUT) != 0 && (_peerReading || _unreadSincePause < _window || _failNextSend != 0 || _peerClosed))
            {
                bits |= Libc.EPOLLOUT;
            }

            return bits;
        }
    }

    private void RequestPump()
    {
        if (Interlocked.Exchange(ref _pumpPosted, 1) == 0)
        {
            _loop.Post(s_pump, this);
        }
    }

    private void Pump()
    {
        Volatile.Write(ref _pumpPosted, 0);
        uint ready = Readiness();
        if (ready == 0 || _target is null)
        {
            return;
        }

        _loop.DispatchReadiness(_target, ready);
        if (Readiness() != 0)
        {
            RequestPump(); // still ready: asked again on the loop's next turn, as epoll would report it again
        }
    }

    /// <summary>The server turned the connection away: the peer reads its end at once, as from a server that accepted and closed.</summary>
    public void TurnAway() => Close();

    // ---- the peer's side (any thread) -------------------------------------------------------------------

    /// <summary>True once the peer ended its sending side (half-close, close or reset).</summary>
    public bool PeerEnded
    {
        get
        {
            lock (_gate)
            {
                return _peerEnded;
            }
        }
    }

    public void PeerSend(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            ThrowIfPeerEnded();
            _toSocket.Append(bytes);
        }

        RequestPump();
    }

    public void PeerShutdownWrite()
    {
        lock (_gate)
        {
            _peerEnded = true;
        }

        RequestPump();
    }

    public void PeerClose()
    {
        lock (_gate)
        {
            _peerEnded = true;
            _peerClosed = true;
        }

        RequestPump();
    }

    public void PeerReset()
    {
        lock (_gate)
        {
            _peerEnded = true;
            _peerClosed = true;
            _toSocket.Clear();
            _pendingError = Libc.ECONNRESET;
        }

        RequestPump();
    }

    public void PeerStopReading()
    {
        lock (_gate)
        {
            if (_peerReading)
            {
                _peerReading = false;
                _unreadSincePause = 0;
            }
        }
    }

    public void PeerResumeReading()
    {
        lock (_gate)
        {
            _peerReading = true;
            _unreadSincePause = 0;
        }

        RequestPump();
    }

    public void FailNextReceive(int errno)
    {
        lock (_gate)
        {
            _failNextReceive = errno;
        }

        RequestPump();
    }

    public void FailNextSend(int errno)
    {
        lock (_gate)
        {
            _failNextSend = errno;
        }

        RequestPump();
    }

    /// <summary>
    /// Waits until <paramref name="attempt"/>, run on what the socket sent and not yet taken (and whether the socket's
    /// side has ended), says it is done; at most <paramref name="timeout"/> of real time.
    /// </summary>
    public async Task<T> PeerReceiveAsync<T>(Func<ByteQueue, bool, (bool Done, T Result)> attempt, TimeSpan timeout,
        string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            int available;
            bool ended;
            lock (_gate)
            {
                var (done, result) = attempt(_toPeer, _socketEnded);
                if (done)
                {
                    return result;
                }

                (changed, available, ended) = (_changed.Task, _toPeer.Length, _socketEnded);
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await WaitOrTimeOut(changed, left, cancellationToken).ConfigureAwait(false))
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0.###} s for {what}; {available} unread byte(s) had arrived"
                    + (ended ? " and the socket's side had ended." : " and the socket's side was still open."));
            }
        }
    }

    /// <summary>Runs <paramref name="take"/> on what the socket sent and not yet taken, under the connection's lock.</summary>
    public T PeerTake<T>(Func<ByteQueue, bool, T> take)
    {
        lock (_gate)
        {
            return take(_toPeer, _socketEnded);
        }
    }

    private static async Task<bool> WaitOrTimeOut(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void ThrowIfPeerEnded()
    {
        if (_peerEnded)
        {
            throw new InvalidOperationException("The peer already ended its side (ShutdownWrite, Close or Reset): it can send nothing more.");
        }
    }

    private void Changed()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private static int TakeFault(ref int fault)
    {
        int value = fault;
        fault = 0;
        return value;
    }
}
