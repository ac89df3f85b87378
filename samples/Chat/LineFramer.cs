using System;
using System.Text;

namespace Conserv.Samples.Chat;

/// <summary>
/// Splits decoded text into lines, whatever way the reads cut it: a line may arrive in many pieces and one
/// read may hold many lines. Accepts <c>\n</c> and <c>\r\n</c> endings; a line longer than the limit is an error.
/// </summary>
public sealed class LineFramer
{
    private readonly StringBuilder _partial = new();
    private readonly int _maxLineLength;

    /// <summary>Creates a framer.</summary>
    /// <param name="maxLineLength">The longest line accepted, in characters (without its ending).</param>
    public LineFramer(int maxLineLength = 4096)
    {
        _maxLineLength = maxLineLength;
    }

    /// <summary>Characters received but not yet ended by a newline.</summary>
    public int PendingLength => _partial.Length;

    /// <summary>Feeds <paramref name="text"/> and calls <paramref name="onLine"/> for every line it completes.</summary>
    /// <param name="text">The characters just received.</param>
    /// <param name="onLine">Called with each complete line, without its ending.</param>
    /// <exception cref="InvalidOperationException">A line is longer than the limit.</exception>
    public void Feed(ReadOnlySpan<char> text, Action<string> onLine)
    {
        while (!text.IsEmpty)
        {
            int newline = text.IndexOf('\n');
            if (newline < 0)
            {
                Append(text);
                return;
            }

            Append(text[..newline]);
            if (_partial.Length > 0 && _partial[^1] == '\r')
            {
                _partial.Length--;
            }

            string line = _partial.ToString();
            _partial.Clear();
            text = text[(newline + 1)..];
            onLine(line);
        }
    }

    private void Append(ReadOnlySpan<char> text)
    {
        // "+ 1": a line at the limit may still be waiting for the '\r' of its "\r\n" ending.
        if (_partial.Length + text.Length > _maxLineLength + 1)
        {
            _partial.Clear();
            throw new InvalidOperationException($"Line longer than {_maxLineLength} characters.");
        }

        _partial.Append(text);
    }
}
