using System;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>
/// The hot path budget (DESIGN §4): in byte mode, reading, dispatching and writing allocate nothing.
/// Measured on the loop thread itself with <see cref="GC.GetAllocatedBytesForCurrentThread"/> across a
/// thousand echoed messages after a warm-up, so nothing else in the process can blur the count.
/// </summary>
public sealed class AllocationTests
{
    private const int WarmUp = 200;
    private const int Measured = 1000;

    [Fact]
    public async Task Echo_in_byte_mode_allocates_nothing_per_read_and_write()
    {
        long allocated = await MeasureEchoAsync(new MeasuringEcho(SocketDriverFeatures.ByteData | SocketDriverFeatures.OutputEmpty), ExternalFormat.Bytes);
        AssertNothingPerMessage(allocated);
    }

    [Fact]
    public async Task Echo_of_decoded_text_into_a_span_allocates_nothing_per_read_and_write()
    {
        long allocated = await MeasureEchoAsync(new MeasuringEcho(SocketDriverFeatures.TextData), default);
        AssertNothingPerMessage(allocated);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Echo_of_lines_allocates_nothing_per_frame_even_when_frames_are_split_across_reads(bool text, bool split)
    {
        var driver = new MeasuringEcho(text ? SocketDriverFeatures.TextData : SocketDriverFeatures.ByteData) { Framing = SocketFraming.Lines() };
        long allocated = await MeasureEchoAsync(driver, text ? default : ExternalFormat.Bytes, split);
        AssertNothingPerMessage(allocated);
    }

    [Fact]
    public async Task Echo_of_length_prefixed_frames_allocates_nothing_per_frame()
    {
        var driver = new MeasuringEcho(SocketDriverFeatures.ByteData) { Framing = SocketFraming.LengthPrefixed(1), Prefix = true };
        long allocated = await MeasureEchoAsync(driver, ExternalFormat.Bytes);
        AssertNothingPerMessage(allocated);
    }

    [Fact]
    public async Task Writing_an_interpolated_string_with_a_number_allocates_nothing_per_message()
    {
        // The echo writes the message's length ("64") in place of its first two bytes, formatted by the socket's
        // interpolated-string handler: a RESP or HTTP header is written so.
        long allocated = await MeasureEchoAsync(new MeasuringEcho(SocketDriverFeatures.ByteData) { FormatLength = true }, default);
        AssertNothingPerMessage(allocated);
    }

    [Fact]
    public async Task Echo_over_TLS_allocates_nothing_per_message_once_the_handshake_is_done()
    {
        var driver = new MeasuringEcho(SocketDriverFeatures.ByteData);
        var loop = EventLoop.Start();
        try
        {
            var server = TcpServer.Listen(driver, port: 0, externalFormatIn: ExternalFormat.Bytes, externalFormatOut: ExternalFormat.Bytes, loop: loop,
                options: new TcpServerOptions { Tls = TestCertificates.ServerOptions() });
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(System.Net.IPAddress.Loopback, server.Port!.Value);
            using var ssl = new System.Net.Security.SslStream(tcp.GetStream());
            await ssl.AuthenticateAsClientAsync(TestCertificates.ClientOptions());
            var message = new byte[64];
            var echoed = new byte[64];
            for (int i = 0; i < WarmUp + Measured + 1; i++)
            {
                await ssl.WriteAsync(message);
                await ssl.ReadExactlyAsync(echoed);
            }

            AssertNothingPerMessage(await driver.Result.Task.WithTimeout("the measured echoes"));
            await server.DisposeAsync();
        }
        finally
        {
            loop.Stop();
            await loop.Completion;
        }
    }

    /// <summary>
    /// Anything allocated per read or write would be at least one object (24 bytes or more) per message,
    /// 24,000+ bytes over the measured echoes. Under CPU load a lone small object can show up once (the
    /// GC's per-thread accounting around a collection the test's client side caused), so the bound is less
    /// than one byte per message, not exactly zero.
    /// </summary>
    private static void AssertNothingPerMessage(long allocated) =>
        Assert.True(allocated < Measured, $"{allocated} bytes allocated on the loop thread over {Measured} echoes");

    private static async Task<long> MeasureEchoAsync(MeasuringEcho driver, ExternalFormat format, bool split = false)
    {
        var loop = EventLoop.Start();
        try
        {
            var server = TcpServer.Listen(driver, port: 0, externalFormatIn: format, externalFormatOut: format, loop: loop);
            using var client = await Peer.ConnectAsync(server.Port!.Value);
            var message = new byte[64];
            new Random(7).NextBytes(message);
            for (int i = 0; i < message.Length; i++)
            {
                message[i] = (byte)('a' + (message[i] % 26)); // ASCII, so text mode echoes the same bytes
            }

            if (driver.FormatLength)
            {
                message[0] = (byte)'6';
                message[1] = (byte)'4';
            }

            if (driver.Framing is not null)
            {
                message[^1] = (byte)'\n'; // one line; or, length-prefixed, one 63-byte frame after its prefix
                message[0] = driver.Prefix ? (byte)(message.Length - 1) : message[0];
            }

            // Ping-pong: one message in flight, so each data event carries exactly one message.
            for (int i = 0; i < WarmUp + Measured + 1; i++)
            {
                if (split)
                {
                    await client.SendAllAsync(message[..10]); // a partial frame waits in the socket's buffer
                    await client.SendAllAsync(message[10..]);
                }
                else
                {
                    await client.SendAllAsync(message);
                }

                var echoed = await client.ReadExactlyAsync(message.Length);
                Assert.Equal(message, echoed);
            }

            long result = await driver.Result.Task.WithTimeout("the measured echoes");
            await server.DisposeAsync();
            return result;
        }
        finally
        {
            loop.Stop();
            await loop.Completion;
        }
    }

    private sealed class MeasuringEcho : ISocketEventDriver
    {
        private int _events;
        private long _start;

        public MeasuringEcho(SocketDriverFeatures features) => Features = features;

        public SocketDriverFeatures Features { get; }

        public SocketFraming? Framing { get; init; }

        /// <summary>Writes the message's length as text (with the socket's interpolated-string handler) in place of its first two bytes.</summary>
        public bool FormatLength { get; init; }

        /// <summary>Length-prefixed framing: the echo puts the one-byte prefix back.</summary>
        public bool Prefix { get; init; }

        public TaskCompletionSource<long> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data)
        {
            Count();
            if (Prefix)
            {
                socket.WriteByte((byte)data.Length);
            }

            if (FormatLength)
            {
                socket.Write($"{data.Length}");
                socket.Write(data.Span[2..]);
                return default;
            }

            socket.Write(data.Span);
            if (Framing is not null && !Prefix)
            {
                socket.WriteByte((byte)'\n');
            }

            return default;
        }

        public ValueTask OnSocketText(TcpSocket socket, ReadOnlyMemory<char> text)
        {
            Count();
            socket.Write(text.Span);
            if (Framing is not null)
            {
                socket.WriteByte((byte)'\n');
            }

            return default;
        }

        public ValueTask OnSocketOutputEmpty(TcpSocket socket) => default;

        private void Count()
        {
            _events++;
            if (_events == WarmUp)
            {
                _start = GC.GetAllocatedBytesForCurrentThread();
            }
            else if (_events == WarmUp + Measured)
            {
                Result.TrySetResult(GC.GetAllocatedBytesForCurrentThread() - _start);
            }
        }
    }
}
