using System;
using System.Text;

namespace Conserv.Samples.Throttle;

/// <summary>
/// Splits a byte stream into lines (ending in <c>\n</c> or <c>\r\n</c>), however the reads cut it; lines are
/// decoded as UTF-8 only once complete, so a character split across reads is never broken.
/// </summary>
public sealed class ByteLineFramer
{
    private readonly int _maxLineLength;
    private byte[] _partial = new byte[256];
    private int _length;

    /// <summary>Creates a framer.</summary>
    /// <param name="maxLineLength">The longest line accepted, in bytes.</param>
    public ByteLineFramer(int maxLineLength = 4096)
    {
        _maxLineLength = maxLineLength;
    }

    /// <summary>Feeds <paramref name="data"/> and calls <paramref name="onLine"/> for every line it completes.</summary>
    /// <param name="data">The bytes just received.</param>
    /// <param name="onLine">Called with each complete line, without its ending.</param>
    /// <exception cref="InvalidOperationException">A line is longer than the limit.</exception>
    public void Feed(ReadOnlySpan<byte> data, Action<string> onLine)
    {
        while (!data.IsEmpty)
        {
            int newline = data.IndexOf((byte)'\n');
            Append(newline < 0 ? data : data[..newline]);
            if (newline < 0)
            {
                return;
            }

            data = data[(newline + 1)..];
            onLine(TakeLine());
        }
    }

    /// <summary>Returns what is left after the last newline, as a final line (for the end of the stream), or null.</summary>
    /// <returns>The unterminated last line, or null if there is none.</returns>
    public string? Flush() => _length == 0 ? null : TakeLine();

    private string TakeLine()
    {
        int length = _length > 0 && _partial[_length - 1] == (byte)'\r' ? _length - 1 : _length;
        string line = Encoding.UTF8.GetString(_partial, 0, length);
        _length = 0;
        return line;
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_length + data.Length > _maxLineLength + 1)
        {
            _length = 0;
            throw new InvalidOperationException($"Line longer than {_maxLineLength} bytes.");
        }

        if (_partial.Length < _length + data.Length)
        {
            Array.Resize(ref _partial, Math.Max(_partial.Length * 2, _length + data.Length));
        }

        data.CopyTo(_partial.AsSpan(_length));
        _length += data.Length;
    }
}
