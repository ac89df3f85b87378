using System;
using System.Collections.Generic;

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
/// Incremental parser for Redis requests (RESP2): arrays of bulk strings
/// (<c>*2\r\n$3\r\nGET\r\n$1\r\nk\r\n</c>) and inline commands (<c>GET k\r\n</c>). Bytes are appended as
/// they arrive; <see cref="TryRead"/> returns each complete command, however the reads split it.
/// </summary>
public sealed class RespParser
{
    /// <summary>Longest inline command or header line (as Redis: 64 KiB).</summary>
    public const int MaxLineLength = 64 * 1024;

    /// <summary>Most arguments in one command.</summary>
    public const int MaxArguments = 1024 * 1024;

    /// <summary>Largest bulk string.</summary>
    public const int MaxBulkLength = 64 * 1024 * 1024;

    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;

    /// <summary>Bytes received and not yet consumed by a complete command.</summary>
    public int Buffered => _end - _start;

    /// <summary>Adds received bytes.</summary>
    /// <param name="data">The bytes.</param>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (_buffer.Length - _end < data.Length)
        {
            int length = _end - _start;
            if (_buffer.Length - length >= data.Length && length < _buffer.Length / 2)
            {
                _buffer.AsSpan(_start, length).CopyTo(_buffer);
            }
            else
            {
                var bigger = new byte[Math.Max(_buffer.Length * 2, length + data.Length)];
                _buffer.AsSpan(_start, length).CopyTo(bigger);
                _buffer = bigger;
            }

            _start = 0;
            _end = length;
        }

        data.CopyTo(_buffer.AsSpan(_end));
        _end += data.Length;
    }

    /// <summary>Reads the next complete command, if the bytes for one have arrived.</summary>
    /// <param name="arguments">The command name and its arguments, as raw bytes.</param>
    /// <returns>True if a command was read; false if more bytes are needed.</returns>
    /// <exception cref="RespProtocolException">The bytes are not a valid request.</exception>
    public bool TryRead(out List<byte[]> arguments)
    {
        while (true)
        {
            arguments = null!;
            if (_start == _end)
            {
                _start = _end = 0;
                return false;
            }

            var span = _buffer.AsSpan(_start, _end - _start);
            int consumed = span[0] == (byte)'*' ? TryReadMultiBulk(span, out arguments) : TryReadInline(span, out arguments);
            if (consumed == 0)
            {
                return false;
            }

            _start += consumed;
            if (arguments.Count > 0)
            {
                return true;
            }

            // An empty line or "*0": Redis ignores it; go on with the next one.
        }
    }

    private static int TryReadInline(ReadOnlySpan<byte> span, out List<byte[]> arguments)
    {
        arguments = null!;
        int newline = span.IndexOf((byte)'\n');
        if (newline < 0)
        {
            if (span.Length > MaxLineLength)
            {
                throw new RespProtocolException("Protocol error: too big inline request");
            }

            return 0;
        }

        var line = span[..newline];
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        arguments = SplitInline(line);
        return newline + 1;
    }

    // Splits like redis-cli's sdssplitargs: spaces separate, "double quotes" with \ escapes, 'single quotes'.
    private static List<byte[]> SplitInline(ReadOnlySpan<byte> line)
    {
        var result = new List<byte[]>();
        var current = new List<byte>();
        int i = 0;
        while (true)
        {
            while (i < line.Length && IsSpace(line[i]))
            {
                i++;
            }

            if (i == line.Length)
            {
                return result;
            }

            current.Clear();
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

                current.Add(b);
            }

            result.Add(current.ToArray());
        }
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t';

    private static int TryReadMultiBulk(ReadOnlySpan<byte> span, out List<byte[]> arguments)
    {
        arguments = null!;
        int position = 0;
        if (!TryReadHeader(span, ref position, out long count, "Protocol error: invalid multibulk length", MaxArguments))
        {
            return 0;
        }

        var result = new List<byte[]>((int)Math.Min(Math.Max(count, 0), 64));
        for (long i = 0; i < count; i++)
        {
            if (position == span.Length)
            {
                return 0;
            }

            if (span[position] != (byte)'$')
            {
                throw new RespProtocolException($"Protocol error: expected '$', got '{(char)span[position]}'");
            }

            if (!TryReadHeader(span, ref position, out long length, "Protocol error: invalid bulk length", MaxBulkLength))
            {
                return 0;
            }

            if (length < 0)
            {
                throw new RespProtocolException("Protocol error: invalid bulk length");
            }

            if (span.Length - position < length + 2)
            {
                return 0;
            }

            var value = span.Slice(position, (int)length);
            if (span[position + (int)length] != (byte)'\r' || span[position + (int)length + 1] != (byte)'\n')
            {
                throw new RespProtocolException("Protocol error: bulk string not terminated by CRLF");
            }

            result.Add(value.ToArray());
            position += (int)length + 2;
        }

        arguments = result;
        return position;
    }

    // Reads "<prefix><integer>\r\n" at position (prefix '*' or '$').
    private static bool TryReadHeader(ReadOnlySpan<byte> span, ref int position, out long value, string error, long max)
    {
        value = 0;
        var rest = span[(position + 1)..];
        int cr = rest.IndexOf((byte)'\r');
        if (cr < 0 || cr + 1 >= rest.Length)
        {
            if (rest.Length > MaxLineLength)
            {
                throw new RespProtocolException(error);
            }

            return false;
        }

        if (rest[cr + 1] != (byte)'\n' || !TryParseInteger(rest[..cr], out value) || value > max || value < -1)
        {
            throw new RespProtocolException(error);
        }

        position += 1 + cr + 2;
        return true;
    }

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
