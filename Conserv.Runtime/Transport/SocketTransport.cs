using System;
using System.Net;
using Conserv.Interop;

namespace Conserv;

/// <summary>
/// The byte I/O under one connected socket. A <see cref="TcpSocket"/>'s reading, flushing and closing code calls
/// this instead of the system calls, so the same event semantics run over the kernel (<see cref="EpollTransport"/>)
/// and over memory (the Conserv.Testing package), and later over a TLS record layer. Readiness comes back as
/// <see cref="IPollTarget.OnPoll"/> on the socket, on its loop thread, with epoll's bits (EPOLLIN, EPOLLOUT,
/// EPOLLERR, EPOLLHUP, EPOLLRDHUP) whatever the transport: the socket's state machine does not know which one
/// it runs over.
/// </summary>
/// <remarks>
/// Results follow the system calls they stand for, so no exception is thrown on the hot path: a count, 0 at the
/// end of the stream, or a negated errno (<c>-EAGAIN</c>: nothing can be done now; readiness will say when).
/// Every member is called on the socket's loop thread.
/// </remarks>
internal abstract unsafe class SocketTransport
{
    /// <summary>Reads at most <paramref name="buffer"/>'s length: the bytes read, 0 at the end of the stream, or a negated errno.</summary>
    public abstract int Receive(Span<byte> buffer);

    /// <summary>Sends the gathered <paramref name="vectors"/>: the bytes taken (maybe fewer than offered), or a negated errno.</summary>
    public abstract nint Send(Libc.IoVector* vectors, int count);

    /// <summary>
    /// Which readiness the socket waits for now: <c>EPOLLIN | EPOLLRDHUP</c> to read, <c>EPOLLOUT</c> for room to
    /// write (or a connect's outcome), 0 for nothing. <paramref name="hungUp"/>: the peer has hung up, which epoll
    /// reports whatever it is asked for.
    /// </summary>
    public abstract void SetInterest(uint events, bool hungUp);

    /// <summary>The connection's pending error (SO_ERROR) as an errno, 0 for none; reading it clears it.</summary>
    public abstract int TakeError();

    /// <summary>
    /// The connection's pending failure as the exception the driver's error handlers get, null for none; reading it
    /// clears it. By default the errno of <see cref="TakeError"/>; a TLS layer reports its own (an
    /// <see cref="System.Security.Authentication.AuthenticationException"/>, say) first.
    /// </summary>
    public virtual Exception? TakeFault()
    {
        int error = TakeError();
        return error == 0 ? null : Errno.Exception(error, "socket");
    }

    /// <summary>
    /// True while the transport holds output of its own the kernel has not taken (a TLS layer's ciphertext): a graceful
    /// close waits for it as for the socket's queue.
    /// </summary>
    public virtual bool HasPendingOutput => false;

    /// <summary>
    /// Turns the kernel's readiness into the socket's, at the start of each readiness event: the identity for the
    /// kernel's transport; a TLS layer moves ciphertext here (reads what the handshake or the next record needs, sends
    /// what waits) and reports readable only when there is plaintext (or its end, or a fault).
    /// </summary>
    public virtual uint Process(uint events) => events;

    /// <summary>Ends the writing direction (FIN): the peer reads the end of the stream after what was sent.</summary>
    public abstract void ShutdownWrite();

    /// <summary>
    /// Reads and drops a little of what already arrived, so that closing does not answer unread input with a
    /// reset (which could destroy a response the peer has not read yet).
    /// </summary>
    public abstract void DiscardInput(Span<byte> scratch);

    /// <summary>Makes the coming <see cref="Close"/> a reset (SO_LINGER 0): nothing queued is delivered after it.</summary>
    public abstract void ResetOnClose();

    /// <summary>Stops readiness and releases the connection. Called once.</summary>
    public abstract void Close();

    /// <summary>The local endpoint once connected: an IP address and port, or null for a Unix-domain socket.</summary>
    public abstract void GetLocalEndPoint(out IPAddress? address, out int port);

    /// <summary>Applies the TCP settings of <paramref name="options"/> (no delay, keep-alive) where they mean something.</summary>
    public virtual void ApplyTcpOptions(TcpSocketOptions options)
    {
    }
}
