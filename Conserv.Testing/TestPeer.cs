using System;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Interop;

namespace Conserv.Testing;

/// <summary>
/// The scripted far end of an in-memory connection to a driver: what a client (or server) program would do on a
/// real network — send bytes or text, read what the driver wrote, half-close, close, reset, stop reading — plus
/// faults to inject into the driver's next read or write. Safe from any thread.
/// </summary>
/// <remarks>
/// Made by <see cref="TestNetwork.AcceptAsync"/> or <see cref="TestNetwork.ConnectAsync"/>. Reading is by waiting
/// (<see cref="ReceiveAsync(int, CancellationToken)"/>, <see cref="ReceiveLineAsync"/>, <see cref="ReceiveToEndAsync"/>),
/// each bounded by <see cref="TestNetworkOptions.ReceiveTimeout"/> of real time, or by taking what has arrived
/// (<see cref="ReceiveAvailable"/>) after <see cref="TestNetwork.SettleAsync"/>.
/// </remarks>
public sealed class TestPeer
{
    private static readonly Encoding s_utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    private readonly MemoryTransport _transport;
    private readonly TimeSpan _receiveTimeout;
    private readonly TcpSocket? _socket;

    internal TestPeer(MemoryTransport transport, TcpSocket? socket, TimeSpan receiveTimeout)
    {
        _transport = transport;
        _socket = socket;
        _receiveTimeout = receiveTimeout;
    }

    /// <summary>The driver's socket: its state (<see cref="TcpSocket.BytesQueued"/>, <see cref="TcpSocket.IsPaused"/>, …) is what the test checks besides the bytes.</summary>
    /// <exception cref="InvalidOperationException">The server turned this connection away (<see cref="WasTurnedAway"/>): there is no socket.</exception>
    public TcpSocket Socket => _socket ?? throw new InvalidOperationException(
        "The server turned this connection away (over MaxConnections or MaxConnectionsPerAddress, paused, or closed): it has no socket. Check WasTurnedAway.");

    /// <summary>
    /// True when a <see cref="TestServer"/> turned this connection away — over its connection limits, paused or closed —
    /// so the peer only sees its end, as a client of a real server at its limits sees the connection close at once.
    /// </summary>
    public bool WasTurnedAway => _socket is null;

    /// <summary>Completes when the driver's side released the connection (its socket closed).</summary>
    public Task Closed => _transport.Closed;

    /// <summary>True once the driver's side closed with a reset (an overflow or a time-out closes so) rather than gracefully.</summary>
    public bool WasReset => _transport.WasReset;

    /// <summary>Sends <paramref name="bytes"/> to the driver: they arrive as data events on its loop.</summary>
    /// <exception cref="InvalidOperationException">The peer already ended its side.</exception>
    public void Send(ReadOnlySpan<byte> bytes) => _transport.PeerSend(bytes);

    /// <summary>Sends <paramref name="text"/> to the driver, encoded as UTF-8.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The peer already ended its side.</exception>
    public void Send(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _transport.PeerSend(s_utf8.GetBytes(text));
    }

    /// <summary>Ends the peer's sending direction (a half-close, FIN): the driver reads the end of the stream after what was sent.</summary>
    public void ShutdownWrite() => _transport.PeerShutdownWrite();

    /// <summary>
    /// Closes the peer's end: the driver reads the end of the stream, and what it writes afterwards is answered with a
    /// reset (its error handlers get <see cref="SocketError.ConnectionReset"/>), as a closed TCP endpoint answers.
    /// </summary>
    public void Close() => _transport.PeerClose();

    /// <summary>Resets the connection (RST): the driver's error handlers get <see cref="SocketError.ConnectionReset"/>, and unread input is lost.</summary>
    public void Reset() => _transport.PeerReset();

    /// <summary>
    /// Stops reading: the driver's writes fill the connection's window (<see cref="TestNetworkOptions.Window"/>) and then
    /// queue in the socket, so its water marks, output-empty event and output limit come into play.
    /// </summary>
    public void StopReading() => _transport.PeerStopReading();

    /// <summary>Reads again after <see cref="StopReading"/>: the window opens and the socket's queue drains.</summary>
    public void ResumeReading() => _transport.PeerResumeReading();

    /// <summary>Makes the driver's next read fail with <paramref name="error"/>, as the kernel's <c>recv</c> would.</summary>
    /// <param name="error">A connection fault: ConnectionReset, ConnectionAborted, TimedOut, NetworkUnreachable, HostUnreachable, …</param>
    /// <exception cref="ArgumentException"><paramref name="error"/> is not a fault a read or write reports.</exception>
    public void FailNextReceive(SocketError error) => _transport.FailNextReceive(ErrnoOf(error, nameof(error)));

    /// <summary>
    /// Makes the next read return <paramref name="errno"/> as is, including what is not a fault (EAGAIN, EINTR): what
    /// the runtime's own tests use to show those are retried, not reported.
    /// </summary>
    internal void FailNextReceiveWithErrno(int errno) => _transport.FailNextReceive(errno);

    /// <summary>Makes the driver's next write to the network fail with <paramref name="error"/>, as the kernel's <c>send</c> would.</summary>
    /// <param name="error">A connection fault: ConnectionReset, Shutdown (a broken pipe), NoBufferSpaceAvailable, …</param>
    /// <exception cref="ArgumentException"><paramref name="error"/> is not a fault a read or write reports.</exception>
    public void FailNextSend(SocketError error) => _transport.FailNextSend(ErrnoOf(error, nameof(error)));

    /// <summary>Takes every byte the driver has written that the peer has not taken yet (none: an empty array).</summary>
    /// <returns>The bytes.</returns>
    public byte[] ReceiveAvailable() => _transport.PeerTake(static (queue, _) => queue.Take(queue.Length));

    /// <summary>Takes every byte the driver has written that the peer has not taken yet, as UTF-8 text.</summary>
    /// <returns>The text.</returns>
    public string ReceiveAvailableText() => s_utf8.GetString(ReceiveAvailable());

    /// <summary>True once the driver's side has ended its sending direction (a close or a half-close) and the peer took everything before it.</summary>
    public bool EndReceived => _transport.PeerTake(static (queue, ended) => ended && queue.Length == 0);

    /// <summary>Waits for the next <paramref name="count"/> bytes the driver writes.</summary>
    /// <param name="count">How many bytes; at least 1.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is less than 1.</exception>
    /// <exception cref="System.IO.EndOfStreamException">The driver's side ended first.</exception>
    /// <exception cref="TimeoutException">They did not come within <see cref="TestNetworkOptions.ReceiveTimeout"/>.</exception>
    public Task<byte[]> ReceiveAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return _transport.PeerReceiveAsync((queue, ended) =>
            queue.Length >= count ? (true, queue.Take(count))
            : ended ? throw new System.IO.EndOfStreamException($"The driver's side ended after {queue.Length} of the {count} byte(s) awaited.")
            : (false, Array.Empty<byte>()), _receiveTimeout, $"{count} byte(s)", cancellationToken);
    }

    /// <summary>Waits for the next line the driver writes (up to a line feed), as UTF-8 text without its CR LF or LF.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The line.</returns>
    /// <exception cref="System.IO.EndOfStreamException">The driver's side ended before a line feed.</exception>
    /// <exception cref="TimeoutException">No line came within <see cref="TestNetworkOptions.ReceiveTimeout"/>.</exception>
    public Task<string> ReceiveLineAsync(CancellationToken cancellationToken = default) =>
        _transport.PeerReceiveAsync((queue, ended) =>
        {
            int end = queue.IndexOf((byte)'\n');
            if (end < 0)
            {
                return ended
                    ? throw new System.IO.EndOfStreamException($"The driver's side ended with {queue.Length} byte(s) and no line feed.")
                    : (false, string.Empty);
            }

            var line = queue.Take(end + 1).AsSpan(0, end);
            return (true, s_utf8.GetString(line.EndsWith("\r"u8) ? line[..^1] : line));
        }, _receiveTimeout, "a line", cancellationToken);

    /// <summary>Waits until the driver's side ends its sending direction and returns everything it wrote before that.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="TimeoutException">The driver's side did not end within <see cref="TestNetworkOptions.ReceiveTimeout"/>.</exception>
    public Task<byte[]> ReceiveToEndAsync(CancellationToken cancellationToken = default) =>
        _transport.PeerReceiveAsync((queue, ended) => ended ? (true, queue.Take(queue.Length)) : (false, Array.Empty<byte>()),
            _receiveTimeout, "the end of the stream", cancellationToken);

    /// <summary>
    /// A stream over the peer's end: writes send, reads return what the driver wrote (0 at the end of its side). For
    /// code that wants a stream — an <c>SslStream</c> to speak TLS to the driver, a protocol client of your own.
    /// </summary>
    /// <returns>The stream; disposing it closes the peer's end.</returns>
    public System.IO.Stream AsStream() => new PeerStream(this);

    /// <summary>True once the peer's end was closed or reset, or the driver's side closed.</summary>
    internal bool EndReceivedOrClosed => _transport.Closed.IsCompleted || _transport.PeerEnded;

    /// <summary>Waits for at least one byte the driver writes and takes up to <paramref name="buffer"/>'s length; 0 once the driver's side ended.</summary>
    internal Task<int> ReceiveSomeAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _transport.PeerReceiveAsync((queue, ended) =>
            queue.Length > 0 ? (true, queue.Take(buffer.Span)) : ended ? (true, 0) : (false, 0),
            _receiveTimeout, "data", cancellationToken);

    /// <inheritdoc/>
    public override string ToString() => _socket is null ? "TestPeer(turned away)" : $"TestPeer({_socket})";

    /// <summary>The errno the kernel reports for <paramref name="error"/> on a connection.</summary>
    private static int ErrnoOf(SocketError error, string parameterName) => error switch
    {
        SocketError.ConnectionReset => Libc.ECONNRESET,
        SocketError.ConnectionAborted => Libc.ECONNABORTED,
        SocketError.TimedOut => Libc.ETIMEDOUT,
        SocketError.Shutdown => Libc.EPIPE,
        SocketError.NetworkUnreachable => Libc.ENETUNREACH,
        SocketError.HostUnreachable => Libc.EHOSTUNREACH,
        SocketError.NoBufferSpaceAvailable => Libc.ENOBUFS,
        SocketError.NotConnected => Libc.ENOTCONN,
        SocketError.AccessDenied => Libc.EACCES,
        _ => throw new ArgumentException($"{error} is not a fault a connection's read or write reports; use ConnectionReset, ConnectionAborted, TimedOut, Shutdown, NetworkUnreachable, HostUnreachable, NoBufferSpaceAvailable, NotConnected or AccessDenied.", parameterName),
    };
}
