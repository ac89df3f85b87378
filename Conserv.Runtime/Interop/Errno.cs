using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Conserv.Interop;

/// <summary>Turns an errno into the exception .NET code expects for it, with a message that names the errno itself.</summary>
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
        Libc.ENOTSOCK => SocketError.NotSocket,
        Libc.ENOENT => SocketError.AddressNotAvailable, // as .NET's own sockets report a missing Unix socket file
        _ => SocketError.SocketError,
    };

    /// <summary>The symbolic name of <paramref name="errno"/> (ENOENT, EMFILE, …), or "errno N" for one this runtime does not name.</summary>
    public static string Name(int errno) => errno switch
    {
        Libc.ENOENT => "ENOENT",
        Libc.EINTR => "EINTR",
        Libc.EAGAIN => "EAGAIN",
        Libc.ENOMEM => "ENOMEM",
        Libc.EACCES => "EACCES",
        Libc.ENFILE => "ENFILE",
        Libc.EMFILE => "EMFILE",
        Libc.EPIPE => "EPIPE",
        Libc.EPROTO => "EPROTO",
        Libc.ENOTSOCK => "ENOTSOCK",
        Libc.EADDRINUSE => "EADDRINUSE",
        Libc.EADDRNOTAVAIL => "EADDRNOTAVAIL",
        Libc.ENETUNREACH => "ENETUNREACH",
        Libc.ECONNABORTED => "ECONNABORTED",
        Libc.ECONNRESET => "ECONNRESET",
        Libc.ENOBUFS => "ENOBUFS",
        Libc.ENOTCONN => "ENOTCONN",
        Libc.ETIMEDOUT => "ETIMEDOUT",
        Libc.ECONNREFUSED => "ECONNREFUSED",
        Libc.EHOSTUNREACH => "EHOSTUNREACH",
        Libc.EINPROGRESS => "EINPROGRESS",
        Libc.ENOTDIR => "ENOTDIR",
        Libc.ENAMETOOLONG => "ENAMETOOLONG",
        Libc.EPERM => "EPERM",
        _ => $"errno {errno}",
    };

    /// <summary>
    /// True for an accept failure that says nothing about the listener itself (out of descriptors, buffers or
    /// memory): the server keeps serving and retries after a pause.
    /// </summary>
    public static bool IsTransientAcceptFailure(int errno) =>
        errno is Libc.EMFILE or Libc.ENFILE or Libc.ENOBUFS or Libc.ENOMEM;

    /// <summary>
    /// A <see cref="SocketException"/> for <paramref name="errno"/>. Its message names the call, the system's own
    /// text for that errno and the errno (".NET's text for a <see cref="SocketError"/> is shared by several errnos:
    /// ENOENT and EADDRNOTAVAIL, or EMFILE and ENFILE, would read the same).
    /// </summary>
    public static SocketException Exception(int errno, string call) =>
        new((int)ToSocketError(errno), $"{call}: {Marshal.GetPInvokeErrorMessage(errno)} ({Name(errno)})");
}
