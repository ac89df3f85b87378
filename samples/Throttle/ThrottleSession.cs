using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Sockets;

namespace Conserv.Samples.Throttle;

/// <summary>
/// One client. Input is rate-limited with <see cref="TcpSocket.Pause(TimeSpan?)"/>: when the client has sent
/// more than its allowance, reads stop (the data waits in the kernel, the client feels backpressure) and
/// resume by themselves after the time it takes to earn the excess back. <c>stream N</c> sends N bytes
/// chunk by chunk from <c>OnSocketOutputEmpty</c>, so at most one chunk is ever queued.
/// </summary>
/// <remarks>Commands: <c>echo TEXT</c>, <c>stream BYTES</c>, <c>stats</c>, <c>quit</c>.</remarks>
public sealed partial class ThrottleSession
{
    /// <summary>Bytes written per output-empty event while streaming.</summary>
    public const int ChunkSize = 16 * 1024;

    /// <summary>The largest stream a client may ask for (1 GiB).</summary>
    public const long MaxStream = 1L << 30;

    private readonly long _rate;
    private readonly Queue<string> _pending = new();
    private double _allowance;
    private long _lastRefill = Environment.TickCount64;
    private long _charged;
    private long _pauses;
    private long _streamRemaining;
    private long _streamTotal;
    private long _peakQueued;
    private bool _endOfFile;

    /// <summary>Creates a session.</summary>
    /// <param name="bytesPerSecond">Input allowed per second (0: unlimited). Also the largest burst.</param>
    public ThrottleSession(long bytesPerSecond)
    {
        _rate = bytesPerSecond;
        _allowance = bytesPerSecond;
    }

    private bool Streaming => _streamRemaining > 0;

    // One line per call (an unterminated last line too, at end of file). Pausing stops delivery between lines:
    // lines already read wait until the pause is over, and so does reading.
    [OnSocketLine(MaxLength = 4096)]
    private void Line(TcpSocket socket, string line)
    {
        Throttle(socket);
        Run(socket, line);
    }

    // The client ended its side: finish what it asked for (the socket is half-open), then close.
    [OnSocketEndOfFile]
    private void EndOfFile(TcpSocket socket)
    {
        _endOfFile = true;
        CloseIfDone(socket);
    }

    // Everything written has reached the kernel: the moment to write the next chunk.
    [OnSocketOutputEmpty]
    private void Drained(TcpSocket socket)
    {
        if (!Streaming)
        {
            return;
        }

        WriteChunk(socket);
        if (!Streaming)
        {
            FinishStream(socket);
        }
    }

    [OnSocketError(typeof(FrameTooLongException))]
    private static void TooLong(TcpSocket socket, FrameTooLongException error)
    {
        socket.Write($"error: line longer than {error.MaxLength} bytes\n");
        socket.Close();
    }

    [OnSocketError(typeof(SocketException))]
    private static void Gone(SocketException error)
    {
    }

    private static string Name(TcpSocket socket) => socket.IsLocal ? "unix client" : $"{socket.RemoteName}:{socket.RemotePort}";

    // Token bucket: the allowance grows at _rate bytes per second up to one second's worth; what was read since
    // the last line spends it. In debt, stop for as long as it takes to pay the debt back.
    private void Throttle(TcpSocket socket)
    {
        long received = socket.BytesRead - _charged;
        _charged = socket.BytesRead;
        if (_rate == 0 || received == 0)
        {
            return;
        }

        long now = Environment.TickCount64;
        _allowance = Math.Min(_rate, _allowance + (now - _lastRefill) * _rate / 1000.0);
        _lastRefill = now;
        _allowance -= received;
        if (_allowance < 0)
        {
            var wait = TimeSpan.FromMilliseconds(Math.Ceiling(-_allowance * 1000 / _rate));
            _pauses++;
            Console.WriteLine($"{Name(socket)}: over {_rate} B/s, paused for {wait.TotalMilliseconds:0} ms");
            socket.Pause(wait);
        }
    }

    private void Run(TcpSocket socket, string line)
    {
        if (Streaming)
        {
            _pending.Enqueue(line); // answered in order, once the stream is out
            return;
        }

        int space = line.IndexOf(' ');
        string command = space < 0 ? line : line[..space];
        string argument = space < 0 ? "" : line[(space + 1)..];
        switch (command)
        {
            case "":
                break;
            case "echo":
                socket.Write($"{argument}\n");
                break;
            case "stream" when long.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out long bytes) && bytes <= MaxStream:
                _streamRemaining = _streamTotal = bytes;
                _peakQueued = 0;
                WriteChunk(socket); // the rest follows from OnSocketOutputEmpty
                if (!Streaming)
                {
                    FinishStream(socket); // small enough for one chunk
                }

                break;
            case "stats":
                socket.Write($"read={socket.BytesRead} pauses={_pauses} peak-queue={_peakQueued} rate={_rate}\n");
                break;
            case "quit":
                socket.Write("bye\n");
                socket.Close();
                break;
            default:
                socket.Write($"error: unknown command '{command}'; try echo TEXT, stream BYTES, stats, quit\n");
                break;
        }
    }

    private void WriteChunk(TcpSocket socket)
    {
        int length = (int)Math.Min(ChunkSize, _streamRemaining);
        long offset = _streamTotal - _streamRemaining;
        socket.Write(StreamPattern.Chunk(offset, length));
        _streamRemaining -= length;
        _peakQueued = Math.Max(_peakQueued, socket.BytesQueued);
    }

    // The stream is out: report, then answer the commands that arrived meanwhile (one may start a new stream).
    private void FinishStream(TcpSocket socket)
    {
        Console.WriteLine($"{Name(socket)}: streamed {_streamTotal} bytes, peak queue {_peakQueued} bytes");
        while (!Streaming && _pending.TryDequeue(out var line))
        {
            Run(socket, line);
        }

        CloseIfDone(socket);
    }

    private void CloseIfDone(TcpSocket socket)
    {
        if (_endOfFile && !Streaming && _pending.Count == 0)
        {
            socket.Close();
        }
    }

}
