using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
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

    public static IEnumerable<object[]> HeldCases() =>
        from kind in new[] { "lines", "crlf-lines", "delimited", "prefix2le", "prefix4be", "netstring" }
        from seed in new[] { 11, 12 }
        select new object[] { kind, seed };

    /// <summary>
    /// Frames up to 20 KB (partial frames outgrow the reader's first buffer), cut into random reads on two connections
    /// of one loop, their delivery held back at random by a pause or an async handler while more arrives: every frame
    /// arrives exactly as sent, and once all have, neither socket holds a framing buffer. An async handler copies its
    /// frame only after its task resumes, while the other connection has rented buffers meanwhile, so a buffer
    /// given back to the pool too early shows up as a corrupted frame.
    /// </summary>
    [Theory]
    [MemberData(nameof(HeldCases))]
    public async Task Large_frames_held_back_by_pauses_and_async_handlers_arrive_exactly_as_sent_and_leave_no_buffer_held(string kind, int seed)
    {
        var random = new Random(seed);
        await using var network = new Conserv.Testing.TestNetwork();
        var connections = new[] { new HeldFrames(kind, random), new HeldFrames(kind, random) };
        foreach (var connection in connections)
        {
            connection.Peer = await network.AcceptAsync(connection, externalFormatIn: ExternalFormat.Bytes);
        }

        async Task ReleaseAllAsync()
        {
            foreach (var connection in connections)
            {
                connection.Release();
            }

            await network.SettleAsync();
        }

        for (int turn = 0; turn < 400 && connections.Any(c => c.Sent < c.Stream.Length); turn++)
        {
            var connection = connections[random.Next(connections.Length)];
            int size = Math.Min(connection.Stream.Length - connection.Sent, random.Next(1, 9000));
            connection.Peer!.Send(connection.Stream.AsSpan(connection.Sent, size));
            connection.Sent += size;
            await network.SettleAsync();
            if (random.Next(3) == 0)
            {
                await ReleaseAllAsync();
            }
        }

        for (int turn = 0; turn < 1000 && connections.Any(c => c.Received.Count < c.Frames.Length); turn++)
        {
            await ReleaseAllAsync();
        }

        foreach (var connection in connections)
        {
            Assert.Equal(connection.Stream.Length, connection.Sent);
            Assert.Equal(connection.Frames.Length, connection.Received.Count);
            for (int i = 0; i < connection.Frames.Length; i++)
            {
                Assert.True(connection.Frames[i].AsSpan().SequenceEqual(connection.Received[i]), $"frame {i} ({connection.Frames[i].Length} bytes) of seed {seed} differs");
            }

            Assert.True(connection.HeldBack > 0, "no frame was held back");
            Assert.Equal(0, connection.DeliveredWhileHeld);
            Assert.False(await network.Loop.OnLoopAsync(() => connection.Peer!.Socket.HoldsFrameBuffers), "a framing buffer is still held");
        }
    }

    /// <summary>
    /// One connection of <see cref="Large_frames_held_back_by_pauses_and_async_handlers_arrive_exactly_as_sent_and_leave_no_buffer_held"/>:
    /// its frames, and a handler that pauses the socket or holds the frame in an async handler at random.
    /// </summary>
    private sealed class HeldFrames : IFrameDriver<ReadOnlyMemory<byte>>
    {
        private readonly int[] _actions; // per frame: 0 handled at once, 1 the socket paused, 2 an async handler that waits
        private TaskCompletionSource? _gate;
        private TcpSocket? _paused;

        public HeldFrames(string kind, Random random)
        {
            Frames = Enumerable.Range(0, 30).Select(_ => LargeFrame(random, kind)).ToArray();
            Stream = Frames.SelectMany(f => Encode(kind, f)).ToArray();
            _actions = Frames.Select(_ => random.Next(5) switch { 0 => 1, 1 => 2, _ => 0 }).ToArray();
            Framing = kind switch
            {
                "netstring" => SocketFraming.Decoder<NetstringDecoder, ReadOnlyMemory<byte>>(maxLength: 65536),
                "lines" => SocketFraming.Lines(maxLength: 65536, ending: LineEnding.Lf),
                "crlf-lines" => SocketFraming.Lines(maxLength: 65536, ending: LineEnding.CrLf),
                "delimited" => SocketFraming.Delimited("<|>"u8.ToArray(), maxLength: 65536),
                "prefix2le" => SocketFraming.LengthPrefixed(2, ByteOrder.LittleEndian, maxLength: 65535),
                _ => SocketFraming.LengthPrefixed(4, ByteOrder.BigEndian, lengthIncludesPrefix: true, maxLength: 65536),
            };
        }

        public byte[][] Frames { get; }

        public byte[] Stream { get; }

        public int Sent { get; set; }

        public Conserv.Testing.TestPeer? Peer { get; set; }

        public List<byte[]> Received { get; } = new();

        public int HeldBack { get; private set; }

        public SocketFraming Framing { get; }

        public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data) => OnSocketFrame(socket, data);

        /// <summary>Frames delivered while the socket was paused or an async handler still ran: there must be none.</summary>
        public int DeliveredWhileHeld { get; private set; }

        public ValueTask OnSocketFrame(TcpSocket socket, ReadOnlyMemory<byte> frame)
        {
            if (_gate is not null || _paused is not null)
            {
                DeliveredWhileHeld++;
            }

            int action = _actions[Received.Count];
            if (action == 2)
            {
                HeldBack++;
                _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return CopyWhenReleasedAsync(_gate.Task, frame);
            }

            if (action == 1)
            {
                HeldBack++;
                socket.Pause();
                _paused = socket;
            }

            Received.Add(frame.ToArray());
            return default;
        }

        /// <summary>Lets a held frame go: completes the async handler or resumes the paused socket.</summary>
        public void Release()
        {
            if (Interlocked.Exchange(ref _gate, null) is { } gate)
            {
                gate.SetResult();
            }

            if (Interlocked.Exchange(ref _paused, null) is { } socket)
            {
                socket.Resume();
            }
        }

        private async ValueTask CopyWhenReleasedAsync(Task released, ReadOnlyMemory<byte> frame)
        {
            await released;
            Received.Add(frame.ToArray());
        }

        private static byte[] LargeFrame(Random random, string kind)
        {
            int length = random.Next(3) switch { 0 => random.Next(0, 9), 1 => random.Next(9, 600), _ => random.Next(4000, 20000) };
            var frame = RandomFrame(random, kind);
            Array.Resize(ref frame, length);
            random.NextBytes(frame);
            return kind switch
            {
                "lines" or "crlf-lines" => frame.Select(b => b is (byte)'\n' or (byte)'\r' ? (byte)'x' : b).ToArray(),
                "delimited" => frame.Select(b => b == (byte)'>' ? (byte)'g' : b).ToArray(),
                _ => frame,
            };
        }
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
