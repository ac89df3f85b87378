using System;

namespace Conserv;

/// <summary>Settings of a client socket (<see cref="TcpSocket.Connect"/>) or of a server's accepted sockets.</summary>
/// <remarks>
/// The defaults are safe on an open network: output a peer does not read is bounded
/// (<see cref="OutputHighWaterMark"/>, <see cref="OutputLimit"/>) and a connect cannot hang
/// (<see cref="ConnectTimeout"/>). docs/reliability.md gives the reasoning behind each default.
/// </remarks>
public class TcpSocketOptions
{
    /// <summary>The default <see cref="OutputHighWaterMark"/>: 64 KiB.</summary>
    public const int DefaultOutputHighWaterMark = 64 * 1024;

    /// <summary>The default <see cref="OutputLowWaterMark"/>: 32 KiB.</summary>
    public const int DefaultOutputLowWaterMark = 32 * 1024;

    /// <summary>The default <see cref="OutputLimit"/>: 32 MiB.</summary>
    public const long DefaultOutputLimit = 32L * 1024 * 1024;

    private int _highWaterMark = DefaultOutputHighWaterMark;
    private int _lowWaterMark = DefaultOutputLowWaterMark;
    private long? _outputLimit = DefaultOutputLimit;
    private TimeSpan? _idleTimeout;
    private TimeSpan? _connectTimeout = TimeSpan.FromSeconds(30);
    private TimeSpan? _tlsHandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Keep the sending side open after the peer's end of file, until the driver calls
    /// <see cref="TcpSocket.Close"/> (like node's <c>allowHalfOpen</c>). Default false: after
    /// <see cref="OnSocketEndOfFileAttribute">end of file</see> the socket sends what is queued and closes.
    /// </summary>
    public bool AllowHalfOpen { get; set; }

    /// <summary>Disable Nagle's algorithm (TCP_NODELAY) on TCP sockets. Default true: small writes go out at once.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>Enable TCP keep-alive probes (SO_KEEPALIVE). Default false.</summary>
    public bool KeepAlive { get; set; }

    /// <summary>
    /// Queued output above which the socket stops reading (the peer's sending is then throttled by TCP) and
    /// <see cref="TcpSocket.IsWritable"/> turns false, until the queue drains to <see cref="OutputLowWaterMark"/>.
    /// Default 64 KiB; at least 1 byte.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int OutputHighWaterMark
    {
        get => _highWaterMark;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(OutputHighWaterMark));
            _highWaterMark = value;
        }
    }

    /// <summary>
    /// Queued output at or below which a socket stopped by <see cref="OutputHighWaterMark"/> reads again and is
    /// writable again. Default 32 KiB; zero or more, and not above the high water mark (checked when the options
    /// are used).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int OutputLowWaterMark
    {
        get => _lowWaterMark;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(OutputLowWaterMark));
            _lowWaterMark = value;
        }
    }

    /// <summary>
    /// The most output a socket may hold queued. A write that would go beyond it is refused whole (nothing of it
    /// is queued, so the stream never carries half a message) and the socket gets an
    /// <see cref="OutputOverflowException"/> through its own error dispatch (dropped unless a handler takes it).
    /// Default 32 MiB; null lifts the limit.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public long? OutputLimit
    {
        get => _outputLimit;
        set
        {
            if (value is { } limit)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(OutputLimit));
            }

            _outputLimit = value;
        }
    }

    /// <summary>
    /// How long a socket may go with nothing read and no output accepted by the kernel before it gets an
    /// <see cref="IdleTimeoutException"/> through its error dispatch (dropped unless a handler takes it; then the
    /// time-out starts again). Null: never. Default null for client sockets; servers default to 5 minutes
    /// (<see cref="TcpServerOptions"/>). Changeable per socket at run time with <see cref="TcpSocket.IdleTimeout"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? IdleTimeout
    {
        get => _idleTimeout;
        set => _idleTimeout = CheckTimeout(value, nameof(IdleTimeout));
    }

    /// <summary>
    /// How long a client socket's connect may take (name resolution and every address tried included) before it
    /// fails with a <see cref="ConnectTimeoutException"/> (error, then close). Null: as long as the kernel tries.
    /// Default 30 seconds. Not used by accepted sockets.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? ConnectTimeout
    {
        get => _connectTimeout;
        set => _connectTimeout = CheckTimeout(value, nameof(ConnectTimeout));
    }

    /// <summary>
    /// How long a TLS handshake may take (from the accept, the TCP connect, or <see cref="TcpSocket.StartTls(System.Net.Security.SslServerAuthenticationOptions)"/>)
    /// before the socket gets a <see cref="HandshakeTimeoutException"/> (error, then close with a reset): a client that
    /// opens connections and never finishes a handshake cannot hold them. Null: no limit. Default 10 seconds.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? TlsHandshakeTimeout
    {
        get => _tlsHandshakeTimeout;
        set => _tlsHandshakeTimeout = CheckTimeout(value, nameof(TlsHandshakeTimeout));
    }

    /// <summary>Throws when settings that are only wrong together are combined.</summary>
    /// <param name="parameterName">The parameter the options came in, for the exception.</param>
    internal virtual void Validate(string parameterName)
    {
        if (_lowWaterMark > _highWaterMark)
        {
            throw new ArgumentException(
                $"OutputLowWaterMark ({_lowWaterMark}) must not be above OutputHighWaterMark ({_highWaterMark}).", parameterName);
        }

        if (_outputLimit is { } limit && limit < _highWaterMark)
        {
            throw new ArgumentException(
                $"OutputLimit ({limit}) must not be below OutputHighWaterMark ({_highWaterMark}).", parameterName);
        }
    }

    internal static TimeSpan? CheckTimeout(TimeSpan? value, string name)
    {
        if (value is { } t && (t <= TimeSpan.Zero || t.TotalMilliseconds > int.MaxValue))
        {
            throw new ArgumentOutOfRangeException(name, t, "A time-out must be positive and at most about 24 days (int.MaxValue ms); use null for none.");
        }

        return value;
    }
}
