namespace Conserv;

/// <summary>Something registered with a loop's poller: a socket, a listener, the loop's wake-up descriptor.</summary>
internal interface IPollTarget
{
    /// <summary>Called on the loop thread with the epoll event bits that fired.</summary>
    void OnPoll(uint events);

    /// <summary>Called when the loop stops with the target still open: close it now, raising its events.</summary>
    void OnLoopStopping();
}
