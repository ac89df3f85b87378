using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>
/// Random frame streams, cut at random points into separate reads, arrive exactly as sent: every framing, a fixed
/// set of seeds (reproducible), bounded in frames and cuts.
/// </summary>
public class FramingPropertyTests
{
    private const int FramesPerStream = 40;
    private const int Cuts = 25;

    public static IEnumerable<object[]> Cases() =>
        from kind in new[] { "lines", "crlf-lines", "delimited", "prefix2le", "prefix4be", "netstring" }
        from seed in new[] { 1, 2, 3 }
        select new object[] { kind, seed };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Random_frames_cut_at_random_points_arrive_exactly_as_sent(string kind, int seed)
    {
        var random = new Random(seed);
        var frames = Enumerable.Range(0, FramesPerStream).Select(_ => RandomFrame(random, kind)).ToArray();
        var stream = frames.SelectMany(f => Encode(kind, f)).ToArray();
        var cuts = Enumerable.Range(0, Cuts).Select(_ => random.Next(1, stream.Length)).Distinct().Order().ToList();
        cuts.Add(stream.Length);

        await using var loop = new TestLoop();
        var received = new List<byte[]>();
        ISocketEventDriver driver = kind == "netstring"
            ? new NetstringCollector(received)
            : new RecordingDriver
            {
                Framing = Framing(kind),
                OnData = (_, frame) =>
                {
                    received.Add(frame.ToArray());
                    return default;
                },
            };
        var server = TcpServer.Listen(new Accepting(driver), port: 0, loop: loop.Loop, externalFormatIn: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await Poll.UntilAsync(loop.Loop, () => server.Clients.Count == 1, "the connection");
        var side = await loop.OnLoop(() => server.Clients.First());

        int from = 0;
        foreach (int cut in cuts)
        {
            await peer.SendAllAsync(stream[from..cut]);
            await Poll.UntilAsync(loop.Loop, () => side.BytesRead == cut, $"the server to read up to {cut}");
            from = cut;
        }

        await Poll.UntilAsync(loop.Loop, () => received.Count == frames.Length, $"{frames.Length} frames");
        await loop.OnLoop(() =>
        {
            for (int i = 0; i < frames.Length; i++)
            {
                Assert.True(frames[i].AsSpan().SequenceEqual(received[i]), $"frame {i} of seed {seed} differs");
            }
        });
        await server.DisposeAsync();
    }

    private static SocketFraming Framing(string kind) => kind switch
    {
        "lines" => SocketFraming.Lines(maxLength: 1000, ending: LineEnding.Lf),
        "crlf-lines" => SocketFraming.Lines(maxLength: 1000, ending: LineEnding.CrLf),
        "delimited" => SocketFraming.Delimited("<|>"u8.ToArray(), maxLength: 1000),
        "prefix2le" => SocketFraming.LengthPrefixed(2, ByteOrder.LittleEndian, maxLength: 1000),
        _ => SocketFraming.LengthPrefixed(4, ByteOrder.BigEndian, lengthIncludesPrefix: true, maxLength: 1000),
    };

    private static byte[] RandomFrame(Random random, string kind)
    {
        var frame = new byte[random.Next(0, random.Next(2) == 0 ? 8 : 600)];
        random.NextBytes(frame);
        for (int i = 0; i < frame.Length; i++)
        {
            // Terminators inside a frame would cut it: keep them out of line and delimited frames (but keep '\r',
            // '\n' alone in CRLF lines, and '<' and '|' in delimited ones, to test near misses).
            frame[i] = kind switch
            {
                "lines" when frame[i] == '\n' => (byte)'n',
                "crlf-lines" when frame[i] == '\n' && i > 0 && frame[i - 1] == '\r' => (byte)'n',
                "crlf-lines" when frame[i] == '\r' && i == frame.Length - 1 => (byte)'r',
                "delimited" when frame[i] == '>' => (byte)'g',
                _ => frame[i],
            };
        }

        return frame;
    }

    private static byte[] Encode(string kind, byte[] frame) => kind switch
    {
        "lines" => [.. frame, (byte)'\n'],
        "crlf-lines" => [.. frame, (byte)'\r', (byte)'\n'],
        "delimited" => [.. frame, .. "<|>"u8],
        "prefix2le" => FramingTests.Prefixed(frame, 2, ByteOrder.LittleEndian, false),
        "prefix4be" => FramingTests.Prefixed(frame, 4, ByteOrder.BigEndian, true),
        _ => [.. System.Text.Encoding.ASCII.GetBytes($"{frame.Length}:"), .. frame, (byte)','],
    };

    /// <summary>Server driver that gives every client the test's socket driver.</summary>
    private sealed class Accepting : IServerEventDriver
    {
        private readonly ISocketEventDriver _driver;

        public Accepting(ISocketEventDriver driver) => _driver = driver;

        public ValueTask OnServerConnection(TcpServer server, TcpSocket client)
        {
            client.Driver = _driver;
            return default;
        }
    }

    private sealed class NetstringCollector : IFrameDriver<ReadOnlyMemory<byte>>
    {
        private readonly List<byte[]> _received;

        public NetstringCollector(List<byte[]> received) => _received = received;

        public SocketFraming Framing { get; } = SocketFraming.Decoder<NetstringDecoder, ReadOnlyMemory<byte>>(maxLength: 1000);

        public ValueTask OnSocketFrame(TcpSocket socket, ReadOnlyMemory<byte> frame)
        {
            _received.Add(frame.ToArray());
            return default;
        }
    }
}
