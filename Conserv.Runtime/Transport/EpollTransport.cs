using System;
using System.Net;
using Conserv.Interop;

namespace Conserv;

/// <summary>
/// A socket descriptor of the kernel, non-blocking, watched by its loop's epoll: the transport of every socket
/// made by <see cref="TcpSocket.Connect"/>, <see cref="TcpSocket.ConnectUnix"/> or accepted by a <see cref="TcpServer"/>.
/// </summary>
internal sealed unsafe class EpollTransport : SocketTransport
{
    private readonly EventLoop _loop;
    private readonly IPollTarget _target;
    private int _fd;
    private int _slot = -1;
    private bool _registered;
    private uint _interest;

    /// <summary>Takes ownership of <paramref name="fd"/>; readiness goes to <paramref name="target"/>.</summary>
    public EpollTransport(EventLoop loop, IPollTarget target, int fd)
    {
        _loop = loop;
        _target = target;
        _fd = fd;
    }

    /// <summary>The descriptor, for the connect's own system calls.</summary>
    public int Descriptor => _fd;

    public override int Receive(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint count = Libc.recv(_fd, p, buffer.Length, 0);
            return count >= 0 ? (int)count : -Libc.Errno;
        }
    }

    public override nint Send(Libc.IoVector* vectors, int count)
    {
        nint sent = Libc.SendGathered(_fd, vectors, count);
        return sent >= 0 ? sent : -Libc.Errno;
    }

    public override void SetInterest(uint events, bool hungUp)
    {
        // A hung-up descriptor is reported by epoll whatever it is asked for: leave epoll until there is
        // something to do with it, or the loop would spin.
        if (hungUp && events == 0)
        {
            Unregister();
            return;
        }

        if (!_registered)
        {
            _slot = _loop.Register(_target, _fd, events);
            _registered = true;
            _interest = events;
        }
        else if (events != _interest)
        {
            _loop.Modify(_fd, _slot, events);
            _interest = events;
        }
    }

    public override int TakeError() => Libc.GetSocketError(_fd);

    public override void ShutdownWrite() => Libc.shutdown(_fd, Libc.SHUT_WR);

    public override void DiscardInput(Span<byte> scratch)
    {
        fixed (byte* p = scratch)
        {
            for (int i = 0; i < 16 && Libc.recv(_fd, p, scratch.Length, 0) > 0; i++)
            {
            }
        }
    }

    public override void ResetOnClose() => Libc.SetLinger(_fd, 0);

    public override void Close()
    {
        Unregister();
        if (_fd >= 0)
        {
            Libc.close(_fd);
            _fd = -1;
        }
    }

    public override void GetLocalEndPoint(out IPAddress? address, out int port) => SockAddr.Local(_fd, out address, out port);

    public override void ApplyTcpOptions(TcpSocketOptions options)
    {
        if (options.NoDelay)
        {
            Libc.SetInt(_fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, 1);
        }

        if (options.KeepAlive)
        {
            Libc.SetInt(_fd, Libc.SOL_SOCKET, Libc.SO_KEEPALIVE, 1);
        }
    }

    private void Unregister()
    {
        if (_registered)
        {
            _loop.Unregister(_fd, _slot);
            _registered = false;
        }
    }
}
