using System;
using System.Buffers;
using System.Runtime.CompilerServices;

namespace Conserv;

/// <summary>
/// Formats an interpolated string for <see cref="TcpSocket.Write(ref TcpSocketInterpolatedStringHandler)"/>
/// into a pooled buffer, so writing <c>$"…"</c> allocates no string. Built by the compiler; not for direct use.
/// </summary>
[InterpolatedStringHandler]
public ref struct TcpSocketInterpolatedStringHandler
{
    private char[] _buffer;
    private int _length;

    /// <summary>Creates the handler; called by the compiler.</summary>
    /// <param name="literalLength">The total length of the literal parts.</param>
    /// <param name="formattedCount">The number of holes.</param>
    /// <param name="socket">The socket that will be written to.</param>
    public TcpSocketInterpolatedStringHandler(int literalLength, int formattedCount, TcpSocket socket)
    {
        _ = socket;
        _buffer = ArrayPool<char>.Shared.Rent(Math.Max(64, literalLength + (formattedCount * 16)));
        _length = 0;
    }

    internal readonly ReadOnlySpan<char> Text => _buffer.AsSpan(0, _length);

    /// <summary>Appends a literal part.</summary>
    /// <param name="value">The literal.</param>
    public void AppendLiteral(string value) => AppendFormatted(value.AsSpan());

    /// <summary>Appends characters.</summary>
    /// <param name="value">The characters.</param>
    public void AppendFormatted(ReadOnlySpan<char> value)
    {
        Reserve(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    /// <summary>Appends a string.</summary>
    /// <param name="value">The string; null appends nothing.</param>
    public void AppendFormatted(string? value) => AppendFormatted(value.AsSpan());

    /// <summary>Appends a value, formatted in place when it is <see cref="ISpanFormattable"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    public void AppendFormatted<T>(T value) => AppendFormatted(value, format: null);

    /// <summary>Appends a value with a format string, formatted in place when it is <see cref="ISpanFormattable"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="format">The format string.</param>
    // Optimized from the first call: unoptimized (tier-0) code boxes a value type for the ISpanFormattable call, which
    // allocated 24 B per formatted int (a RESP length header, say) until tiering promoted the method, and measurably it
    // often did not within 10,000 calls.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void AppendFormatted<T>(T value, string? format)
    {
        if (value is ISpanFormattable)
        {
            int written;
            while (!((ISpanFormattable)value).TryFormat(_buffer.AsSpan(_length), out written, format, null))
            {
                Grow(_buffer.Length * 2);
            }

            _length += written;
            return;
        }

        AppendFormatted(value is IFormattable formattable ? formattable.ToString(format, null) : value?.ToString());
    }

    /// <summary>Appends a value padded to <paramref name="alignment"/> characters (negative: left-aligned).</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="alignment">The minimum width.</param>
    /// <param name="format">The format string.</param>
    public void AppendFormatted<T>(T value, int alignment, string? format = null)
    {
        int start = _length;
        AppendFormatted(value, format);
        int width = _length - start;
        int pad = Math.Abs(alignment) - width;
        if (pad <= 0)
        {
            return;
        }

        Reserve(pad);
        if (alignment > 0)
        {
            _buffer.AsSpan(start, width).CopyTo(_buffer.AsSpan(start + pad));
            _buffer.AsSpan(start, pad).Fill(' ');
        }
        else
        {
            _buffer.AsSpan(_length, pad).Fill(' ');
        }

        _length += pad;
    }

    internal void Dispose()
    {
        var buffer = _buffer;
        _buffer = Array.Empty<char>();
        if (buffer.Length > 0)
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private void Reserve(int more)
    {
        if (_length + more > _buffer.Length)
        {
            Grow(Math.Max(_buffer.Length * 2, _length + more));
        }
    }

    private void Grow(int size)
    {
        var bigger = ArrayPool<char>.Shared.Rent(size);
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<char>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
