using System;

namespace Conserv;

// Time-outs are conditions: each raises a SocketTimeoutException through the socket's error dispatch
// (dropped unless handled; a handler that returns keeps the connection and the time-out starts again).
// Idle time-outs and deadlines each keep at most one loop timer per socket. Activity only stamps a time
// (_lastActivity); when the timer fires early because of that, it is rescheduled for the time that remains
// (as Netty's IdleStateHandler does), so a busy socket costs no timer operation per read or write.
public sealed partial class TcpSocket
{
    private TimeSpan? _idleTimeout;
    private long _lastActivity;
    private LoopTimer? _idleTimer;
    private TimeSpan _deadline;
    private long _deadlineDue;
    private LoopTimer? _deadlineTimer;
    private LoopTimer? _connectTimer;

    /// <summary>
    /// How long this socket may go with nothing read and no output accepted by the kernel before it gets an
    /// <see cref="IdleTimeoutException"/>; null: never. Starts from <see cref="TcpSocketOptions.IdleTimeout"/>;
    /// changeable at any time, from any thread (the period restarts from the last activity).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? IdleTimeout
    {
        get => _idleTimeout;
        set
        {
            TcpSocketOptions.CheckTimeout(value, nameof(IdleTimeout));
            _loop.RunOrPost(this, static (s, t) =>
            {
                s._idleTimeout = (TimeSpan?)t;
                CancelTimer(ref s._idleTimer);
                s.ArmIdleTimer();
            }, value);
        }
    }

    /// <summary>
    /// Arms a deadline: if it is still armed after <paramref name="timeout"/>, the socket gets a
    /// <see cref="DeadlineExceededException"/> through its error dispatch (for example "the request head must be
    /// complete within 30 s"). Arming again replaces the deadline; <see cref="ClearDeadline"/> disarms it.
    /// If a handler takes the exception and returns, the deadline is armed again for the same duration.
    /// Safe from any thread.
    /// </summary>
    /// <param name="timeout">From now until the deadline; positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is zero or negative.</exception>
    public void SetDeadline(TimeSpan timeout)
    {
        TcpSocketOptions.CheckTimeout(timeout, nameof(timeout));
        _loop.RunOrPost(this, static (s, t) => s.ArmDeadline((TimeSpan)t!), timeout);
    }

    /// <summary>Disarms the deadline set by <see cref="SetDeadline"/>, if any. Safe from any thread.</summary>
    public void ClearDeadline() => _loop.RunOrPost(this, static (s, _) => s._deadlineDue = 0, null);

    /// <summary>Starts the idle time-out from now; for a socket that has just connected or been accepted.</summary>
    private void StartIdleTimer()
    {
        _lastActivity = _loop.Now;
        ArmIdleTimer();
    }

    private void ArmIdleTimer()
    {
        if (_idleTimeout is not { } idle || _idleTimer is not null || _state != SocketState.Open)
        {
            return;
        }

        _idleTimer = _loop.ScheduleAt(_lastActivity + Milliseconds(idle), static s => ((TcpSocket)s!).OnIdleTimer(), this);
    }

    private void OnIdleTimer()
    {
        _idleTimer = null;
        if (_idleTimeout is not { } idle || _state != SocketState.Open)
        {
            return;
        }

        long due = _lastActivity + Milliseconds(idle);
        if (_loop.Now < due)
        {
            ArmIdleTimer(); // there was activity since it was armed: wait for what remains
            return;
        }

        _lastActivity = _loop.Now; // a handler that keeps the connection starts a new period
        RaiseError(new IdleTimeoutException(idle), fatal: false);
        ArmIdleTimer();
    }

    private void ArmDeadline(TimeSpan timeout)
    {
        if (_state == SocketState.Closed)
        {
            return;
        }

        _deadline = timeout;
        _deadlineDue = _loop.Now + Milliseconds(timeout);

        // An earlier timer still pending fires first and reschedules itself for the new due time.
        if (_deadlineTimer is null || _deadlineTimer.DueTicks > _deadlineDue)
        {
            CancelTimer(ref _deadlineTimer);
            _deadlineTimer = _loop.ScheduleAt(_deadlineDue, static s => ((TcpSocket)s!).OnDeadlineTimer(), this);
        }
    }

    private void OnDeadlineTimer()
    {
        _deadlineTimer = null;
        if (_deadlineDue == 0 || _state == SocketState.Closed)
        {
            return;
        }

        if (_loop.Now < _deadlineDue)
        {
            _deadlineTimer = _loop.ScheduleAt(_deadlineDue, static s => ((TcpSocket)s!).OnDeadlineTimer(), this);
            return;
        }

        var deadline = _deadline;
        ArmDeadline(deadline); // armed again for a handler that keeps the connection (it may clear or change it)
        RaiseError(new DeadlineExceededException(deadline), fatal: false);
    }

    /// <summary>Starts the connect time-out of a client socket (covering name resolution and every address tried).</summary>
    private void StartConnectTimer()
    {
        if (_options.ConnectTimeout is { } timeout)
        {
            _connectTimer = _loop.ScheduleAt(_loop.Now + Milliseconds(timeout), static s => ((TcpSocket)s!).OnConnectTimer(), this);
        }
    }

    private void OnConnectTimer()
    {
        _connectTimer = null;
        if (_state is SocketState.Resolving or SocketState.Connecting)
        {
            RaiseError(new ConnectTimeoutException(ConnectTarget, _options.ConnectTimeout!.Value), fatal: true);
        }
    }

    /// <summary>The connect completed: its time-out is over and the idle time-out begins.</summary>
    private void OnConnected()
    {
        CancelTimer(ref _connectTimer);
        StartIdleTimer();
    }

    private void CancelTimeouts()
    {
        CancelTimer(ref _idleTimer);
        CancelTimer(ref _deadlineTimer);
        CancelTimer(ref _connectTimer);
        CancelTimer(ref _handshakeTimer);
        _deadlineDue = 0;
    }

    private static void CancelTimer(ref LoopTimer? timer)
    {
        timer?.Cancel();
        timer = null;
    }

    private static long Milliseconds(TimeSpan timeout) => (long)Math.Ceiling(timeout.TotalMilliseconds);
}
