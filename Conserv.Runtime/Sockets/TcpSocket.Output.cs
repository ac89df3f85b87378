using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Text;
using Conserv.Interop;

namespace Conserv;

// Writing, the API: bytes, text and formatting, all into the output queue (no system call here; see
// TcpSocket.Flush.cs for when and how the queue goes to the kernel).
public sealed partial class TcpSocket
{
    private const int TextChunkChars = 1024;

    /// <summary>A write at least this large is handed to the kernel at once rather than copied into the queue.</summary>
    private const int DirectWriteSize = 32 * 1024;

    private OutputQueue? _output;

    /// <summary>
    /// Writes <paramref name="data"/>: what the kernel takes now is sent now, the rest is queued.
    /// Writing to a closing socket is allowed until it has closed.
    /// </summary>
    /// <param name="data">The bytes to send; copied before the call returns.</param>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    public void Write(ReadOnlySpan<byte> data)
    {
        ThrowIfClosed();
        if (data.IsEmpty)
        {
            return;
        }

        if (!_loop.IsLoopThread)
        {
            WriteFromOtherThread(data.ToArray());
            return;
        }

        if (AdmitOutput(data.Length))
        {
            WriteCore(data);
        }
    }

    /// <summary>
    /// Queues a copy to the loop. The copy counts against the output limit from now on, so a thread writing
    /// faster than the peer reads cannot grow the loop's queue of posted work without bound either.
    /// </summary>
    private void WriteFromOtherThread(byte[] bytes)
    {
        if (!AdmitOutput(bytes.Length))
        {
            return;
        }

        Interlocked.Add(ref _postedOutput, bytes.Length);
        _loop.Post(static s =>
        {
            var (socket, bytes) = ((TcpSocket, byte[]))s!;
            Interlocked.Add(ref socket._postedOutput, -bytes.Length);
            if (socket._state != SocketState.Closed)
            {
                socket.WriteCore(bytes);
            }
        }, (this, bytes));
    }

    /// <summary>Writes one byte.</summary>
    /// <param name="value">The byte.</param>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    public void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    /// <summary>Writes <paramref name="text"/> encoded with <see cref="ExternalFormatOut"/>.</summary>
    /// <param name="text">The text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="InvalidOperationException"><see cref="ExternalFormatOut"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    public void Write(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(text.AsSpan());
    }

    /// <summary>Writes one character encoded with <see cref="ExternalFormatOut"/>; a surrogate pair may be written in two calls.</summary>
    /// <param name="value">The character.</param>
    /// <exception cref="InvalidOperationException"><see cref="ExternalFormatOut"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    public void Write(char value) => Write(new ReadOnlySpan<char>(in value));

    /// <summary>Writes <paramref name="text"/> encoded with <see cref="ExternalFormatOut"/>.</summary>
    /// <param name="text">The characters.</param>
    /// <exception cref="InvalidOperationException"><see cref="ExternalFormatOut"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    public void Write(ReadOnlySpan<char> text)
    {
        ThrowIfClosed();
        var encoding = _formatOut ?? throw NoOutputFormat();
        if (text.IsEmpty)
        {
            return;
        }

        if (!_loop.IsLoopThread)
        {
            WriteFromOtherThread(encoding.GetBytes(text.ToArray()));
            return;
        }

        // A stateful encoder, so a surrogate pair written in two calls is encoded as one character.
        // The format may have just been changed (from any thread): an encoder of another encoding is replaced.
        if (_encoder is null || !ReferenceEquals(_encoderEncoding, encoding))
        {
            _encoder = encoding.GetEncoder();
            _encoderEncoding = encoding;
        }

        // The limit refuses a write whole, so the encoded length must be known first; counting exactly costs
        // a pass over the text, needed only when the worst case would not fit.
        long worstCase = (long)encoding.GetMaxByteCount(Math.Min(text.Length, int.MaxValue / 4));
        if (BytesQueued + worstCase > Volatile.Read(ref _outputLimit) && !AdmitOutput(_encoder.GetByteCount(text, flush: false)))
        {
            return;
        }

        Span<byte> bytes = stackalloc byte[encoding.GetMaxByteCount(TextChunkChars)];
        while (!text.IsEmpty)
        {
            var chunk = text.Slice(0, Math.Min(text.Length, TextChunkChars));
            int count = _encoder.GetBytes(chunk, bytes, flush: false);
            if (count > 0)
            {
                WriteCore(bytes.Slice(0, count));
            }

            text = text.Slice(chunk.Length);
        }
    }

    /// <summary>
    /// Writes an interpolated string encoded with <see cref="ExternalFormatOut"/>, formatting into a pooled
    /// buffer (no string is allocated): <c>socket.Write($"{count} items\r\n")</c>.
    /// </summary>
    /// <param name="handler">The interpolated string, built by the compiler.</param>
    /// <exception cref="InvalidOperationException"><see cref="ExternalFormatOut"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    public void Write([InterpolatedStringHandlerArgument("")] ref TcpSocketInterpolatedStringHandler handler)
    {
        try
        {
            Write(handler.Text);
        }
        finally
        {
            handler.Dispose();
        }
    }

    private InvalidOperationException NoOutputFormat() => new(
        $"{this} has no ExternalFormatOut, so it takes bytes only: set ExternalFormatOut (for example to Encoding.UTF8) or write bytes.");

    /// <summary>
    /// Queues <paramref name="data"/> for the socket's next gathered write: at the end of the running callback of
    /// this socket, or after the loop callback that wrote (another socket's handler, a timer, posted work). A large
    /// write goes to the kernel at once instead, behind what is queued, so that it is not copied first.
    /// </summary>
    private void WriteCore(ReadOnlySpan<byte> data)
    {
        if (_pendingFault is not null)
        {
            return; // the connection is failing; its error dispatch is on its way
        }

        if ((_features & SocketDriverFeatures.OutputEmpty) != 0 && !_wroteSinceOutputEmpty)
        {
            _wroteSinceOutputEmpty = true;
            if (_eventDepth == 0)
            {
                _loop.EnlistOutputEmpty(this);
            }
        }

        if (data.Length >= DirectWriteSize && CanSendNow)
        {
            SendQueuedThen(data);
            AfterSend();
            return;
        }

        (_output ??= new OutputQueue(_loop.OutputSegments)).Append(data);
        RequestFlush();
    }
}
