using System;

namespace Conserv;

/// <summary>Settings of a server; the socket settings it inherits apply to every accepted socket.</summary>
public sealed class TcpServerOptions : TcpSocketOptions
{
    private int _backlog = 1024;

    /// <summary>The listen backlog: connections the kernel queues while the server is busy or paused. Default 1024.</summary>
    public int Backlog
    {
        get => _backlog;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Backlog));
            _backlog = value;
        }
    }

    /// <summary>
    /// Set SO_REUSEPORT, so several listeners (one per loop of an <see cref="EventLoopGroup"/>) share one port and
    /// the kernel spreads connections between them. Default false for a single server; always on for a server group.
    /// </summary>
    public bool ReusePort { get; set; }
}
