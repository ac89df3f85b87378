namespace Conserv;

/// <summary>Something registered with a loop's poller: a socket, a listener, the loop's wake-up descriptor.</summary>
internal interface IPollTarget
{
    /// <summary>Called on the loop thread with the epoll event bits that fired.</summary>
    void OnPoll(uint events);

    /// <summary>
    /// Closes the target now, raising its close events: when the loop stops with it still open, or after a
    /// fault in <see cref="OnPoll"/> that it did not handle itself.
    /// </summary>
    void AbortNow();

    /// <summary>
    /// Starts a graceful close (a server stops accepting and closes its clients gracefully; a socket sends what
    /// is queued, then closes): when the loop stops with a drain period.
    /// </summary>
    void CloseGracefully();
}
