using System;

namespace Conserv;

/// <summary>Frames ended by a byte sequence of the driver's choice (<see cref="SocketFraming.Delimited"/>).</summary>
internal sealed class DelimiterFraming : SocketFraming
{
    private readonly byte[] _delimiter;

    public DelimiterFraming(byte[] delimiter, int maxLength)
        : base(maxLength)
    {
        ArgumentNullException.ThrowIfNull(delimiter);
        if (delimiter.Length == 0)
        {
            throw new ArgumentException("The delimiter must have at least one byte.", nameof(delimiter));
        }

        _delimiter = (byte[])delimiter.Clone();
    }

    internal override FrameReader CreateReader(TcpSocket socket, ISocketEventDriver driver) => new Reader(socket, MaxLength, _delimiter);

    private sealed class Reader : ByteFrameReader
    {
        private readonly byte[] _delimiter;
        private int _scanned;     // bytes at the start of the input known to hold no whole delimiter start
        private bool _discarding; // inside an over-long frame, already reported: skip to its end

        public Reader(TcpSocket socket, int maxLength, byte[] delimiter)
            : base(socket, maxLength)
        {
            _delimiter = delimiter;
        }

        protected override Found Find(ReadOnlySpan<byte> input, out int start, out int length, out int consumed)
        {
            start = 0;
            length = 0;
            int at = FindDelimiter(input);
            if (_discarding)
            {
                // Keep a possible partial delimiter at the end, so one split across reads is still found.
                consumed = at >= 0 ? at + _delimiter.Length : Math.Max(0, input.Length - (_delimiter.Length - 1));
                _discarding = at < 0;
                _scanned = 0;
                return consumed == 0 ? Found.NeedMore : Found.Skip;
            }

            if (at < 0)
            {
                if (input.Length >= MaxLength + _delimiter.Length)
                {
                    consumed = input.Length - (_delimiter.Length - 1);
                    _discarding = true;
                    _scanned = 0;
                    return Found.TooLong;
                }

                consumed = 0;
                return Found.NeedMore;
            }

            _scanned = 0;
            length = at;
            consumed = at + _delimiter.Length;
            return length > MaxLength ? Found.TooLong : Found.Frame;
        }

        protected override void ResetDecoder()
        {
            _scanned = 0;
            _discarding = false;
        }

        private int FindDelimiter(ReadOnlySpan<byte> input)
        {
            int i = input.Slice(_scanned).IndexOf(_delimiter);
            if (i >= 0)
            {
                return _scanned + i;
            }

            // A delimiter may start in the last (length - 1) bytes and end in the next read.
            _scanned = Math.Max(0, input.Length - (_delimiter.Length - 1));
            return -1;
        }
    }
}
