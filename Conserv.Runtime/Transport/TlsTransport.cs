using System;
using System.Net;
using System.Net.Security;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Interop;

namespace Conserv;

/// <summary>
/// TLS between a socket and the transport under it (the kernel's, or the in-memory one): an <see cref="SslStream"/>
/// over a <see cref="TlsCipherStream"/> that never blocks, driven by readiness on the loop thread. The socket sees
/// plaintext through the same seam as any transport; the handshake, decryption and encryption all run on the loop
/// thread, without a thread per connection.
/// </summary>
/// <remarks>
/// Memory per connection is bounded whatever the peer sends: ciphertext is read only while the SslStream asks for it
/// (and, after the handshake, only while the socket reads), one record's plaintext is held at a time, and at most
/// <see cref="MaxPlaintextPerSend"/> is encrypted per send while earlier ciphertext has not left.
/// </remarks>
internal sealed class TlsTransport : SocketTransport
{
    /// <summary>The most plaintext one send encrypts: bounds the ciphertext buffered per connection.</summary>
    public const int MaxPlaintextPerSend = 64 * 1024;

    private const int PlaintextBufferSize = 16 * 1024 + 512; // a TLS record's plaintext, at most 16 KiB

    private static readonly Action<object?> s_pump = static t => ((TlsTransport)t!).Pump();

    private readonly EventLoop _loop;
    private readonly TcpSocket _socket;
    private readonly SocketTransport _inner;
    private readonly TlsCipherStream _cipher;
    private readonly SslStream _ssl;
    private Task? _handshake;
    private bool _secured;
    private bool _closed;
    private Exception? _fault;
    private Exception? _ioFault;
    private bool _innerEnded;

    private readonly byte[] _plain = new byte[PlaintextBufferSize];
    private int _plainStart;
    private int _plainEnd;
    private ValueTask<int> _plainRead;
    private bool _plainReading;
    private bool _plainEnded;

    private readonly ByteQueue _cipherOut = new();

    private uint _socketInterest;
    private bool _hungUp;
    private int _pumpPosted;

    public TlsTransport(EventLoop loop, TcpSocket socket, SocketTransport inner)
    {
        _loop = loop;
        _socket = socket;
        _inner = inner;
        _cipher = new TlsCipherStream(this);
        _ssl = new SslStream(_cipher, leaveInnerStreamOpen: true);
    }

    /// <summary>True once the handshake has completed.</summary>
    public bool IsSecured => _secured;

    /// <summary>What was negotiated, once secured.</summary>
    public SslStream Stream => _ssl;

    /// <summary>Starts the server's side of the handshake. A bad option (no certificate, say) comes back as the exception.</summary>
    public Exception? StartAsServer(SslServerAuthenticationOptions options) =>
        Start(() => _ssl.AuthenticateAsServerAsync(options, CancellationToken.None));

    /// <summary>Starts the client's side of the handshake. A bad option comes back as the exception.</summary>
    public Exception? StartAsClient(SslClientAuthenticationOptions options) =>
        Start(() => _ssl.AuthenticateAsClientAsync(options, CancellationToken.None));

    // ---- the seam, towards the socket (plaintext) ----------------------------------------------------

    public override int Receive(Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            if (_plainEnd > _plainStart)
            {
                int count = Math.Min(buffer.Length - total, _plainEnd - _plainStart);
                _plain.AsSpan(_plainStart, count).CopyTo(buffer[total..]);
                _plainStart += count;
                total += count;
                continue;
            }

            // The record is used up: ask for the next one, which may already be decrypted (or in the kernel).
            if (!StartPlainRead() || !TakePlainRead())
            {
                break;
            }
        }

        if (_plainEnd == _plainStart && StartPlainRead())
        {
            TakePlainRead(); // keep the next record asked for, so the kernel's readability reaches the SslStream
        }

        FlushCipher(); // reading may have made the SslStream answer (a key update, an alert)
        UpdateInnerInterest();
        if (HasPlaintextEvent)
        {
            RequestPump(); // what is decrypted and waiting is unknown to epoll: the socket is told on the loop's next turn
        }

        if (total > 0)
        {
            return total;
        }

        return _plainEnded ? 0 : -Libc.EAGAIN;
    }

    public override unsafe nint Send(Libc.IoVector* vectors, int count)
    {
        if (!_secured || _fault is not null || _closed)
        {
            return -Libc.EAGAIN; // before the handshake, output waits in the socket's queue; a fault is reported as EPOLLERR
        }

        FlushCipher();
        if (_cipherOut.Length > 0)
        {
            return -Libc.EAGAIN; // earlier ciphertext has not left yet: the socket waits for writability
        }

        long taken = 0;
        var context = DetachContext();
        try
        {
            for (int i = 0; i < count && taken < MaxPlaintextPerSend; i++)
            {
                int length = (int)Math.Min((long)vectors[i].Length, MaxPlaintextPerSend - taken);
                _ssl.Write(new ReadOnlySpan<byte>(vectors[i].Base, length)); // encrypts into _cipherOut, never blocks
                taken += length;
            }
        }
        catch (Exception e)
        {
            Fail(e);
            RequestPump();
            return -Libc.EAGAIN;
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }

        FlushCipher();
        UpdateInnerInterest();
        return (nint)taken;
    }

    public override void SetInterest(uint events, bool hungUp)
    {
        _socketInterest = events;
        _hungUp = hungUp;
        UpdateInnerInterest();
        if ((events & Libc.EPOLLIN) != 0 && HasPlaintextEvent)
        {
            RequestPump();
        }
    }

    public override int TakeError() => _inner.TakeError();

    public override Exception? TakeFault()
    {
        var fault = _fault;
        if (fault is not null)
        {
            _fault = null;
            return fault;
        }

        return _inner.TakeFault();
    }

    public override bool HasPendingOutput => _cipherOut.Length > 0;

    public override uint Process(uint events)
    {
        if (_closed)
        {
            return 0;
        }

        if ((events & Libc.EPOLLOUT) != 0)
        {
            FlushCipher();
        }

        if ((events & (Libc.EPOLLIN | Libc.EPOLLHUP | Libc.EPOLLRDHUP | Libc.EPOLLERR)) != 0)
        {
            var context = DetachContext();
            try
            {
                _cipher.CompletePendingRead(); // the SslStream goes on inline: handshake messages, or the next record
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(context);
            }
        }

        if ((events & Libc.EPOLLERR) != 0 && _fault is null && _inner.TakeFault() is { } socketError)
        {
            Fail(socketError); // epoll reports it whatever is asked for: take it even when the SslStream is not reading
        }

        AfterProgress();

        uint ready = events & Libc.EPOLLHUP;
        if (_fault is not null)
        {
            ready |= Libc.EPOLLERR;
        }

        if (HasPlaintextEvent)
        {
            ready |= Libc.EPOLLIN;
        }

        if ((events & Libc.EPOLLOUT) != 0 && _secured && _cipherOut.Length == 0)
        {
            ready |= Libc.EPOLLOUT;
        }

        return ready;
    }

    public override void ShutdownWrite()
    {
        if (_secured && _fault is null)
        {
            var context = DetachContext();
            try
            {
                _ssl.ShutdownAsync().GetAwaiter().GetResult(); // close_notify, written to _cipherOut at once
            }
            catch (Exception)
            {
                // The peer may be gone already; the close goes on regardless.
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(context);
            }

            FlushCipher();
        }

        _inner.ShutdownWrite();
    }

    public override void DiscardInput(Span<byte> scratch) => _inner.DiscardInput(scratch);

    public override void ResetOnClose() => _inner.ResetOnClose();

    public override void Close()
    {
        _closed = true;
        _inner.Close();
        try
        {
            _ssl.Dispose();
        }
        catch (Exception)
        {
            // Nothing to release that matters once the connection is gone.
        }
    }

    public override void GetLocalEndPoint(out IPAddress? address, out int port) => _inner.GetLocalEndPoint(out address, out port);

    public override void ApplyTcpOptions(TcpSocketOptions options) => _inner.ApplyTcpOptions(options);

    // ---- the seam, towards the inner transport (ciphertext) ---------------------------------------------

    /// <summary>Reads ciphertext for the SslStream: the count, 0 at the end of the stream, -1 for nothing now; or a fault.</summary>
    internal int ReceiveCipher(Span<byte> buffer, out Exception? fault)
    {
        fault = null;
        if (_innerEnded)
        {
            return 0;
        }

        int count = _inner.Receive(buffer);
        if (count > 0)
        {
            return count;
        }

        if (count == 0)
        {
            _innerEnded = true;
            return 0;
        }

        int errno = -count;
        if (errno is Libc.EAGAIN or Libc.EINTR)
        {
            return -1;
        }

        // The connection's own failure (a reset, say) is what the driver sees, not the SslStream's wrapping of it.
        fault = _ioFault = Errno.Exception(errno, "recv");
        return -1;
    }

    /// <summary>Appends ciphertext the SslStream wrote; <see cref="FlushCipher"/> sends it.</summary>
    internal void AppendCipher(ReadOnlySpan<byte> bytes) => _cipherOut.Append(bytes);

    // ---- progress ------------------------------------------------------------------------------------------

    private Exception? Start(Func<Task> authenticate)
    {
        var context = DetachContext();
        try
        {
            _handshake = authenticate();
        }
        catch (Exception e)
        {
            return e; // an option the SslStream refuses before any byte moves
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }

        AfterProgress();
        return null;
    }

    /// <summary>After the SslStream moved: note a finished handshake or record, send what it wrote, and watch what it needs.</summary>
    private void AfterProgress()
    {
        if (!_secured && _handshake is { IsCompleted: true } handshake && _fault is null)
        {
            if (handshake.IsFaulted || handshake.IsCanceled)
            {
                Fail(handshake.Exception?.InnerException ?? new OperationCanceledException("The TLS handshake was cancelled."));
            }
            else
            {
                _secured = true;
                StartPlainRead();
                TakePlainRead();
                FlushCipher();
                UpdateInnerInterest();
                _socket.OnTlsSecured();
                return;
            }
        }

        if (_secured)
        {
            TakePlainRead();
        }

        FlushCipher();
        UpdateInnerInterest();
    }

    /// <summary>Asks the SslStream for the next record's plaintext, unless one is asked for or the stream ended. True if a read is outstanding.</summary>
    private bool StartPlainRead()
    {
        if (_plainReading)
        {
            return true;
        }

        if (_plainEnded || _fault is not null || !_secured || _closed)
        {
            return false;
        }

        _plainStart = _plainEnd = 0;
        var context = DetachContext();
        try
        {
            _plainRead = _ssl.ReadAsync(_plain);
            _plainReading = true;
        }
        catch (Exception e)
        {
            Fail(e);
            return false;
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }

        return true;
    }

    /// <summary>Takes the outstanding plaintext read if it has completed. True if it brought bytes.</summary>
    private bool TakePlainRead()
    {
        if (!_plainReading || !_plainRead.IsCompleted)
        {
            return false;
        }

        _plainReading = false;
        try
        {
            int count = _plainRead.GetAwaiter().GetResult();
            if (count == 0)
            {
                _plainEnded = true;
                return false;
            }

            _plainStart = 0;
            _plainEnd = count;
            return true;
        }
        catch (Exception e)
        {
            Fail(e);
            return false;
        }
    }

    /// <summary>
    /// Takes the loop's synchronization context off the thread while the SslStream runs: its awaits then capture none,
    /// so when a pending read completes its continuation runs inline, inside the call that completed it, and the
    /// ciphertext it writes is flushed there — instead of running later as posted work nobody flushes after.
    /// </summary>
    private static SynchronizationContext? DetachContext()
    {
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        return context;
    }

    private void Fail(Exception e)
    {
        _fault ??= _ioFault ?? e;
    }

    /// <summary>True when the socket has something to take: plaintext, the end of the stream, or a fault.</summary>
    private bool HasPlaintextEvent => _plainEnd > _plainStart || (_plainEnded && _secured) || _fault is not null;

    private unsafe void FlushCipher()
    {
        while (_cipherOut.Length > 0 && !_closed)
        {
            nint sent;
            fixed (byte* p = _cipherOut.Pending)
            {
                var vector = new Libc.IoVector { Base = p, Length = (nuint)_cipherOut.Length };
                sent = _inner.Send(&vector, 1);
            }

            if (sent > 0)
            {
                _cipherOut.Skip((int)sent);
                continue;
            }

            int errno = (int)-sent;
            if (errno is not (Libc.EAGAIN or Libc.EINTR))
            {
                _ioFault ??= Errno.Exception(errno, "send");
                Fail(_ioFault);
                _cipherOut.Clear(); // the connection is broken: what was not sent never will be
            }

            break;
        }
    }

    /// <summary>
    /// What the kernel is asked to report: readability while the SslStream waits for ciphertext (during the handshake
    /// always; after it, only while the socket itself reads, so a paused socket still pushes back on its peer), and
    /// writability while ciphertext waits or the socket waits to write.
    /// </summary>
    private void UpdateInnerInterest()
    {
        if (_closed)
        {
            return;
        }

        uint wanted = 0;
        if (_cipher.HasPendingRead && !_innerEnded && (!_secured || (_socketInterest & Libc.EPOLLIN) != 0))
        {
            wanted |= Libc.EPOLLIN | Libc.EPOLLRDHUP;
        }

        if (_cipherOut.Length > 0 || (_secured && (_socketInterest & Libc.EPOLLOUT) != 0))
        {
            wanted |= Libc.EPOLLOUT;
        }

        _inner.SetInterest(wanted, _hungUp);
    }

    private void RequestPump()
    {
        if (Interlocked.Exchange(ref _pumpPosted, 1) == 0)
        {
            _loop.Post(s_pump, this);
        }
    }

    private void Pump()
    {
        Volatile.Write(ref _pumpPosted, 0);
        if (!_closed && HasPlaintextEvent)
        {
            _loop.DispatchReadiness(_socket, _fault is not null ? Libc.EPOLLERR : Libc.EPOLLIN);
        }
    }
}
