using System;

namespace Conserv;

/// <summary>Frames cut by a decoder of the driver's own (<see cref="SocketFraming.Decoder{TDecoder, TFrame}"/>).</summary>
/// <typeparam name="TFrame">The decoder's frame type.</typeparam>
internal sealed class DecoderFraming<TFrame> : SocketFraming
{
    private readonly Func<IFrameDecoder<TFrame>> _createDecoder;

    public DecoderFraming(Func<IFrameDecoder<TFrame>> createDecoder, int maxLength)
        : base(maxLength)
    {
        _createDecoder = createDecoder;
    }

    internal override FrameReader CreateReader(TcpSocket socket, ISocketEventDriver driver)
    {
        if (driver is not IFrameDriver<TFrame> frames)
        {
            throw new InvalidOperationException(
                $"The driver {driver.GetType().Name} has a decoder framing of {typeof(TFrame).Name} frames but does not implement IFrameDriver<{typeof(TFrame).Name}>.");
        }

        return new Reader(socket, MaxLength, _createDecoder() ?? throw new InvalidOperationException("The decoder factory returned null."), frames);
    }

    private sealed class Reader : FrameReader
    {
        private readonly IFrameDecoder<TFrame> _decoder;
        private readonly IFrameDriver<TFrame> _driver;

        public Reader(TcpSocket socket, int maxLength, IFrameDecoder<TFrame> decoder, IFrameDriver<TFrame> driver)
            : base(socket, maxLength)
        {
            _decoder = decoder;
            _driver = driver;
        }

        protected override Step DecodeAndDeliver(ReadOnlyMemory<byte> input, out int consumed)
        {
            consumed = 0;
            int length;
            TFrame frame;
            try
            {
                length = _decoder.Decode(input, out frame);
                if (length < 0 || length > input.Length)
                {
                    throw new InvalidOperationException(
                        $"{_decoder.GetType().Name}.Decode returned {length} for an input of {input.Length} bytes: it must return 0 or the length of the frame at the start of the input.");
                }
            }
            catch (Exception e)
            {
                Socket.RaiseError(e, fatal: false);
                return Step.Failed;
            }

            if (length == 0)
            {
                if (input.Length > MaxLength)
                {
                    Socket.RaiseError(new FrameTooLongException(MaxLength, null), fatal: false);
                    return Step.Failed;
                }

                return Step.NeedMore;
            }

            consumed = length;
            if (length > MaxLength)
            {
                Socket.RaiseError(new FrameTooLongException(MaxLength, length), fatal: false);
                return Step.Consumed;
            }

            Socket.DeliverDecodedFrame(_driver, frame);
            return Step.Consumed;
        }

        protected override void OnEndOfInput(ReadOnlyMemory<byte> rest) =>
            Socket.RaiseError(ByteFrameReader.Truncated(rest.Length), fatal: false);

        protected override void ResetDecoder() => _decoder.Reset();
    }
}
