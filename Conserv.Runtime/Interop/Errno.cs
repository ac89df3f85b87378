using System.Net.Sockets;

namespace Conserv.Interop;

/// <summary>Turns an errno into the exception .NET code expects for it.</summary>
internal static class Errno
{
    public static SocketError ToSocketError(int errno) => errno switch
    {
        Libc.ECONNREFUSED => SocketError.ConnectionRefused,
        Libc.ECONNRESET => SocketError.ConnectionReset,
        Libc.EPIPE => SocketError.Shutdown,
        Libc.ECONNABORTED => SocketError.ConnectionAborted,
        Libc.ETIMEDOUT => SocketError.TimedOut,
        Libc.EADDRINUSE => SocketError.AddressAlreadyInUse,
        Libc.EADDRNOTAVAIL => SocketError.AddressNotAvailable,
        Libc.ENETUNREACH => SocketError.NetworkUnreachable,
        Libc.EHOSTUNREACH => SocketError.HostUnreachable,
        Libc.EACCES => SocketError.AccessDenied,
        Libc.EMFILE or Libc.ENFILE => SocketError.TooManyOpenSockets,
        Libc.ENOBUFS or Libc.ENOMEM => SocketError.NoBufferSpaceAvailable,
        Libc.ENOTCONN => SocketError.NotConnected,
        Libc.EINPROGRESS => SocketError.InProgress,
        Libc.EAGAIN => SocketError.WouldBlock,
        Libc.ENOENT => SocketError.AddressNotAvailable,
        Libc.ENOTSOCK => SocketError.NotSocket,
        _ => SocketError.SocketError,
    };

    /// <summary>A <see cref="SocketException"/> for <paramref name="errno"/>; its message names the call that failed.</summary>
    public static SocketException Exception(int errno, string call)
    {
        var error = ToSocketError(errno);
        return error == SocketError.SocketError
            ? new SocketException((int)error, $"{call} failed (errno {errno})")
            : new SocketException((int)error, $"{call}: {new SocketException((int)error).Message}");
    }
}
