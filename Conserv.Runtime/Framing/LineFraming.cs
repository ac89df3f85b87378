using System;

namespace Conserv;

/// <summary>Lines ended by <c>\n</c> or <c>\r\n</c> (<see cref="SocketFraming.Lines"/>).</summary>
internal sealed class LineFraming : SocketFraming
{
    public LineFraming(int maxLength, LineEnding ending)
        : base(maxLength)
    {
        if (ending is not (LineEnding.Any or LineEnding.Lf or LineEnding.CrLf))
        {
            throw new ArgumentOutOfRangeException(nameof(ending), ending, "Not a defined LineEnding.");
        }

        Ending = ending;
    }

    public LineEnding Ending { get; }

    internal override FrameReader CreateReader(TcpSocket socket, ISocketEventDriver driver) => new Reader(socket, MaxLength, Ending);

    private sealed class Reader : ByteFrameReader
    {
        private readonly LineEnding _ending;
        private int _scanned;     // bytes at the start of the input already searched for '\n'
        private bool _discarding; // inside an over-long line, already reported: skip to its end

        public Reader(TcpSocket socket, int maxLength, LineEnding ending)
            : base(socket, maxLength)
        {
            _ending = ending;
        }

        protected override bool NeedsAsciiCompatibleText => true;

        protected override Found Find(ReadOnlySpan<byte> input, out int start, out int length, out int consumed)
        {
            start = 0;
            length = 0;
            int end = FindEnd(input);
            if (_discarding)
            {
                consumed = end < 0 ? input.Length : end + 1;
                _discarding = end < 0;
                _scanned = 0;
                return Found.Skip;
            }

            if (end < 0)
            {
                // Longer than the maximum whatever comes next? One byte over may still be the '\r' of a "\r\n".
                if (input.Length > MaxLength + 1
                    || (input.Length == MaxLength + 1 && (_ending == LineEnding.Lf || input[^1] != (byte)'\r')))
                {
                    consumed = input.Length;
                    _discarding = true;
                    _scanned = 0;
                    return Found.TooLong;
                }

                consumed = 0;
                return Found.NeedMore;
            }

            _scanned = 0;
            consumed = end + 1;
            length = end;
            if (_ending != LineEnding.Lf && end > 0 && input[end - 1] == (byte)'\r')
            {
                length--;
            }

            return length > MaxLength ? Found.TooLong : Found.Frame;
        }

        protected override bool IsFinalFrame(ReadOnlySpan<byte> rest, out int length)
        {
            length = rest.Length;
            if (_discarding)
            {
                return false;
            }

            if (_ending != LineEnding.Lf && length > 0 && rest[length - 1] == (byte)'\r')
            {
                length--;
            }

            return true;
        }

        protected override void ResetDecoder()
        {
            _scanned = 0;
            _discarding = false;
        }

        /// <summary>The index of the '\n' that ends the first line, or -1; searches only bytes not searched before.</summary>
        private int FindEnd(ReadOnlySpan<byte> input)
        {
            int from = _scanned;
            while (from < input.Length)
            {
                int i = input.Slice(from).IndexOf((byte)'\n');
                if (i < 0)
                {
                    break;
                }

                int end = from + i;
                if (_ending != LineEnding.CrLf || (end > 0 && input[end - 1] == (byte)'\r'))
                {
                    return end;
                }

                from = end + 1; // a lone '\n' inside a CRLF-only line
            }

            // The last byte may be the '\r' of a "\r\n" split across reads: it is looked at again, not searched.
            _scanned = input.Length;
            return -1;
        }
    }
}
