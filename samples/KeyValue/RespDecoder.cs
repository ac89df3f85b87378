using System;

namespace Conserv.Samples.KeyValue;

/// <summary>A request the client sent that breaks the protocol. The server answers with an error and closes.</summary>
public sealed class RespProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong, in Redis's words.</param>
    public RespProtocolException(string message) : base(message)
    {
    }
}

/// <summary>
/// Cuts a client's byte stream into Redis commands (RESP2): arrays of bulk strings
/// (<c>*2\r\n$3\r\nGET\r\n$1\r\nk\r\n</c>) and inline commands (<c>GET k\r\n</c>). One decoder per connection;
/// the runtime calls it with the bytes not yet consumed and delivers each command it returns.
/// </summary>
/// <remarks>
/// Linear: while a command is incomplete the runtime passes the same bytes again with more appended, and the
/// decoder goes on from where it stopped (the next header, or the end of the bulk string it waits for), so a
/// command of any size or split costs one pass over its bytes. Bulk strings are slices of the input; only
/// inline commands, whose quoting must be undone, are copied (into a buffer the decoder reuses).
/// </remarks>
public sealed class RespDecoder : IFrameDecoder<RespCommand>
{
    /// <summary>Longest inline command or header line (as Redis: 64 KiB).</summary>
    public const int MaxLineLength = 64 * 1024;

    /// <summary>Most arguments in one command.</summary>
    public const int MaxArguments = 1024 * 1024;

    /// <summary>Largest bulk string (as Redis's default proto-max-bulk-len: 512 MiB).</summary>
    public const int MaxBulkLength = 512 * 1024 * 1024;

    /// <summary>Largest command, all of it: a bulk string at its maximum and room for the rest.</summary>
    public const int MaxCommandLength = MaxBulkLength + (64 * 1024 * 1024);

    // Where each argument is, from the start of the command (or of the inline buffer): offsets, not slices, because
    // between calls the runtime may move the bytes of an incomplete command to another buffer.
    private (int Start, int Length)[] _arguments = new (int, int)[8];
    private byte[] _inline = new byte[256];
    private int _position;     // where parsing goes on, from the start of the command
    private int _scanned;      // how far the line being looked for has been searched without finding its end
    private long _expected = -1; // arguments the array header announced (-1: not read yet)
    private int _count;        // arguments read so far
    private long _bulk = -1;   // length of the bulk string being waited for (-1: its header not read yet)

    /// <inheritdoc/>
    public int Decode(ReadOnlyMemory<byte> input, out RespCommand frame)
    {
        frame = default;
        var span = input.Span;
        bool array = span[0] == (byte)'*';
        int consumed = array ? DecodeArray(span) : DecodeInline(span);
        if (consumed > 0)
        {
            frame = new RespCommand(array ? input : _inline, _arguments, _count);
            Restart();
        }

        return consumed;
    }

    /// <inheritdoc/>
    public void Reset() => Restart();

    private void Restart()
    {
        if (_arguments.Length > 1024)
        {
            _arguments = new (int, int)[8]; // one huge command does not pin its argument table
        }

        _position = 0;
        _scanned = 0;
        _expected = -1;
        _count = 0;
        _bulk = -1;
    }

    private int DecodeArray(ReadOnlySpan<byte> span)
    {
        if (_expected < 0)
        {
            if (!TryReadHeader(span, "Protocol error: invalid multibulk length", MaxArguments, out long expected))
            {
                return 0;
            }

            _expected = expected;

            // Room for the announced arguments, but not more than a few up front: a header alone costs no memory.
            EnsureArguments((int)Math.Min(Math.Max(_expected, 0), 1024));
        }

        while (_count < _expected)
        {
            if (_bulk < 0)
            {
                if (_position == span.Length)
                {
                    return 0;
                }

                if (span[_position] != (byte)'$')
                {
                    throw new RespProtocolException($"Protocol error: expected '$', got '{(char)span[_position]}'");
                }

                if (!TryReadHeader(span, "Protocol error: invalid bulk length", MaxBulkLength, out long bulk))
                {
                    return 0;
                }

                if (bulk < 0)
                {
                    throw new RespProtocolException("Protocol error: invalid bulk length");
                }

                _bulk = bulk;
            }

            int length = (int)_bulk;
            if (span.Length - _position < length + 2L)
            {
                return 0; // the bulk string is not all here: nothing of it is looked at again
            }

            if (span[_position + length] != (byte)'\r' || span[_position + length + 1] != (byte)'\n')
            {
                throw new RespProtocolException("Protocol error: bulk string not terminated by CRLF");
            }

            EnsureArguments(_count + 1);
            _arguments[_count++] = (_position, length);
            _position += length + 2;
            _bulk = -1;
        }

        return _position;
    }

    // Reads "<prefix><integer>\r\n" at _position (prefix '*' or '$'), searching only bytes not searched before.
    private bool TryReadHeader(ReadOnlySpan<byte> span, string error, long max, out long value)
    {
        value = 0;
        int from = Math.Max(_scanned, _position + 1);
        int cr = span[from..].IndexOf((byte)'\r');
        if (cr < 0 || from + cr + 1 >= span.Length)
        {
            _scanned = cr < 0 ? span.Length : from + cr; // a lone '\r' at the end is looked at again
            if (span.Length - _position > MaxLineLength)
            {
                throw new RespProtocolException(error);
            }

            return false;
        }

        cr += from;
        if (span[cr + 1] != (byte)'\n' || !TryParseInteger(span[(_position + 1)..cr], out value) || value > max || value < -1)
        {
            throw new RespProtocolException(error);
        }

        _position = cr + 2;
        _scanned = 0;
        return true;
    }

    private int DecodeInline(ReadOnlySpan<byte> span)
    {
        int newline = span[_scanned..].IndexOf((byte)'\n');
        if (newline < 0)
        {
            _scanned = span.Length;
            if (span.Length > MaxLineLength)
            {
                throw new RespProtocolException("Protocol error: too big inline request");
            }

            return 0;
        }

        newline += _scanned;
        var line = span[..newline];
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        SplitInline(line);
        return newline + 1;
    }

    // Splits like redis-cli's sdssplitargs: spaces separate, "double quotes" with \ escapes, 'single quotes'.
    // The arguments are copied into one reused buffer (an unquoted argument is never longer than the line).
    private void SplitInline(ReadOnlySpan<byte> line)
    {
        if (_inline.Length < line.Length)
        {
            _inline = new byte[Math.Max(line.Length, _inline.Length * 2)];
        }

        int written = 0;
        int i = 0;
        while (true)
        {
            while (i < line.Length && IsSpace(line[i]))
            {
                i++;
            }

            if (i == line.Length)
            {
                return;
            }

            int start = written;
            byte quote = line[i] is (byte)'"' or (byte)'\'' ? line[i++] : (byte)0;
            while (true)
            {
                if (i == line.Length)
                {
                    if (quote != 0)
                    {
                        throw new RespProtocolException("Protocol error: unbalanced quotes in request");
                    }

                    break;
                }

                byte b = line[i++];
                if (quote == 0 && IsSpace(b))
                {
                    break;
                }

                if (quote != 0 && b == quote)
                {
                    if (i < line.Length && !IsSpace(line[i]))
                    {
                        throw new RespProtocolException("Protocol error: unbalanced quotes in request");
                    }

                    break;
                }

                if (quote == (byte)'"' && b == (byte)'\\' && i < line.Length)
                {
                    b = line[i++] switch
                    {
                        (byte)'n' => (byte)'\n',
                        (byte)'r' => (byte)'\r',
                        (byte)'t' => (byte)'\t',
                        var other => other,
                    };
                }

                _inline[written++] = b;
            }

            EnsureArguments(_count + 1);
            _arguments[_count++] = (start, written - start);
        }
    }

    private void EnsureArguments(int count)
    {
        if (_arguments.Length < count)
        {
            Array.Resize(ref _arguments, Math.Max(count, _arguments.Length * 2));
        }
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t';

    private static bool TryParseInteger(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        bool negative = !digits.IsEmpty && digits[0] == (byte)'-';
        if (negative)
        {
            digits = digits[1..];
        }

        if (digits.IsEmpty || digits.Length > 18)
        {
            return false;
        }

        foreach (byte b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = value * 10 + (b - '0');
        }

        if (negative)
        {
            value = -value;
        }

        return true;
    }
}
