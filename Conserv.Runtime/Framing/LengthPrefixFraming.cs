using System;
using System.Buffers.Binary;
using System.IO;

namespace Conserv;

/// <summary>Frames preceded by their length (<see cref="SocketFraming.LengthPrefixed"/>).</summary>
internal sealed class LengthPrefixFraming : SocketFraming
{
    public LengthPrefixFraming(int prefixLength, ByteOrder byteOrder, bool lengthIncludesPrefix, int maxLength)
        : base(maxLength)
    {
        if (prefixLength is not (1 or 2 or 4 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, "The length prefix must be 1, 2, 4 or 8 bytes.");
        }

        if (byteOrder is not (ByteOrder.BigEndian or ByteOrder.LittleEndian))
        {
            throw new ArgumentOutOfRangeException(nameof(byteOrder), byteOrder, "Not a defined ByteOrder.");
        }

        PrefixLength = prefixLength;
        BigEndian = byteOrder == ByteOrder.BigEndian;
        LengthIncludesPrefix = lengthIncludesPrefix;
    }

    public int PrefixLength { get; }

    public bool BigEndian { get; }

    public bool LengthIncludesPrefix { get; }

    internal override FrameReader CreateReader(TcpSocket socket, ISocketEventDriver driver) => new Reader(socket, this);

    private sealed class Reader : ByteFrameReader
    {
        private readonly LengthPrefixFraming _framing;
        private long _skipping;   // bytes of an over-long frame, already reported, still to skip
        private long _tooLongLength;

        public Reader(TcpSocket socket, LengthPrefixFraming framing)
            : base(socket, framing.MaxLength)
        {
            _framing = framing;
        }

        protected override long? TooLongLength => _tooLongLength;

        protected override Found Find(ReadOnlySpan<byte> input, out int start, out int length, out int consumed)
        {
            start = 0;
            length = 0;
            if (_skipping > 0)
            {
                consumed = (int)Math.Min(_skipping, input.Length);
                _skipping -= consumed;
                return Found.Skip;
            }

            int prefix = _framing.PrefixLength;
            if (input.Length < prefix)
            {
                consumed = 0;
                return Found.NeedMore;
            }

            ulong declared = ReadPrefix(input.Slice(0, prefix));
            if (_framing.LengthIncludesPrefix)
            {
                if (declared < (ulong)prefix)
                {
                    throw new InvalidDataException($"A frame's length prefix says {declared} bytes, less than the {prefix} bytes of the prefix it includes.");
                }

                declared -= (ulong)prefix;
            }

            if (declared > (ulong)MaxLength)
            {
                // Refused before any of it is buffered; the frame's bytes are skipped as they come.
                _tooLongLength = declared > long.MaxValue ? long.MaxValue : (long)declared;
                consumed = prefix;
                _skipping = _tooLongLength;
                return Found.TooLong;
            }

            length = (int)declared;
            if (input.Length - prefix < length)
            {
                consumed = 0;
                return Found.NeedMore;
            }

            start = prefix;
            consumed = prefix + length;
            return Found.Frame;
        }

        protected override void ResetDecoder() => _skipping = 0;

        private ulong ReadPrefix(ReadOnlySpan<byte> bytes) => (_framing.PrefixLength, _framing.BigEndian) switch
        {
            (1, _) => bytes[0],
            (2, true) => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            (2, false) => BinaryPrimitives.ReadUInt16LittleEndian(bytes),
            (4, true) => BinaryPrimitives.ReadUInt32BigEndian(bytes),
            (4, false) => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            (_, true) => BinaryPrimitives.ReadUInt64BigEndian(bytes),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        };
    }
}
