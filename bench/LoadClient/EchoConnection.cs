using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Conserv.Bench.LoadClient;

/// <summary>
/// One connection driven by one blocking thread: send <c>depth</c> messages, read back exactly as many bytes,
/// check every byte, repeat, until stopped, out of budget, or the deadline passes.
/// </summary>
public sealed class EchoConnection : IDisposable
{
    private const int ReceiveTimeoutMs = 5_000;
    private readonly Socket _socket;
    private readonly byte[] _sent;
    private readonly byte[] _received;
    private readonly int _size;
    private readonly int _depth;
    private readonly long _budget;
    private readonly int _id;
    private long _messages;
    private long _sequence;

    /// <summary>Connects (blocking, bounded by the OS connect timeout) with TCP_NODELAY.</summary>
    /// <param name="endPoint">The loopback echo server.</param>
    /// <param name="id">The connection's number, mixed into its payload.</param>
    /// <param name="size">Bytes per message.</param>
    /// <param name="depth">Messages per round trip.</param>
    /// <param name="budget">Most messages this connection may send.</param>
    public EchoConnection(IPEndPoint endPoint, int id, int size, int depth, long budget)
    {
        _id = id;
        _size = size;
        _depth = depth;
        _budget = budget;
        _sent = new byte[size * depth];
        _received = new byte[size * depth];
        for (int i = 0; i < _sent.Length; i++)
        {
            _sent[i] = (byte)((i * 31) + id);
        }

        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveTimeout = ReceiveTimeoutMs,
            SendTimeout = ReceiveTimeoutMs,
        };
        _socket.Connect(endPoint);
    }

    /// <summary>Round-trip times recorded while <see cref="Run"/>'s recording flag was up.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Messages echoed and verified so far; read from other threads.</summary>
    public long Messages => Volatile.Read(ref _messages);

    /// <summary>Why the connection stopped early, or null.</summary>
    public string? Error { get; private set; }

    /// <summary>Runs round trips until <paramref name="stop"/> is set, the budget is spent, or <paramref name="deadline"/> (a Stopwatch timestamp) passes.</summary>
    /// <param name="stop">Set to end the run.</param>
    /// <param name="recording">Non-zero while latencies count.</param>
    /// <param name="deadline">Hard end, as a <see cref="Stopwatch"/> timestamp.</param>
    public void Run(StrongBox<bool> stop, StrongBox<int> recording, long deadline)
    {
        double nsPerTick = 1e9 / Stopwatch.Frequency;
        try
        {
            while (!Volatile.Read(ref stop.Value) && _messages + _depth <= _budget)
            {
                Stamp();
                long start = Stopwatch.GetTimestamp();
                if (start > deadline)
                {
                    break;
                }

                SendAll();
                ReceiveAll();
                long end = Stopwatch.GetTimestamp();
                if (!_received.AsSpan().SequenceEqual(_sent))
                {
                    Error = $"connection {_id}: echoed bytes differ from the bytes sent (round trip {_sequence})";
                    return;
                }

                if (Volatile.Read(ref recording.Value) != 0)
                {
                    Latency.Record((end - start) * nsPerTick);
                }

                Volatile.Write(ref _messages, _messages + _depth);
            }
        }
        catch (SocketException e)
        {
            Error = $"connection {_id}: {e.SocketErrorCode}: {e.Message}";
        }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>Writes a fresh sequence number into each message, so a stale or replayed echo cannot pass.</summary>
    private void Stamp()
    {
        for (int m = 0; m < _depth; m++)
        {
            var message = _sent.AsSpan(m * _size, _size);
            long sequence = ++_sequence;
            if (message.Length >= 8)
            {
                BinaryPrimitives.WriteInt64LittleEndian(message, sequence);
            }
            else
            {
                message[0] = (byte)sequence;
            }
        }
    }

    private void SendAll()
    {
        int offset = 0;
        while (offset < _sent.Length)
        {
            offset += _socket.Send(_sent, offset, _sent.Length - offset, SocketFlags.None);
        }
    }

    private void ReceiveAll()
    {
        int offset = 0;
        while (offset < _received.Length)
        {
            int count = _socket.Receive(_received, offset, _received.Length - offset, SocketFlags.None);
            if (count == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset, "the server closed the connection");
            }

            offset += count;
        }
    }
}
