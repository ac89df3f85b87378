using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;

namespace Conserv.Bench.Servers;

/// <summary>
/// The idiomatic hand-written <see cref="PipeReader"/> frame loop on Kestrel's transport: cut what the pipe has
/// into whole frames with a <see cref="SequenceReader{T}"/>, write each reply to the output pipe, consume the whole
/// frames and mark the rest examined, flush once per read.
/// </summary>
public abstract class KestrelFramedEchoConnectionHandler : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        while (true)
        {
            var result = await input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = EchoFrames(buffer, output, out int frames, out bool tooLong);
            input.AdvanceTo(consumed, buffer.End);
            if (tooLong)
            {
                break; // a frame over FramedEcho.MaxLength: drop the connection
            }

            if (frames > 0)
            {
                var flush = await output.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    break;
                }
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                break;
            }
        }
    }

    /// <summary>Writes the reply to every whole frame in <paramref name="buffer"/>; returns the end of the last one.</summary>
    protected abstract SequencePosition EchoFrames(in ReadOnlySequence<byte> buffer, PipeWriter output, out int frames, out bool tooLong);

    protected static void Write(PipeWriter output, in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            output.Write(bytes.FirstSpan);
            return;
        }

        foreach (var segment in bytes)
        {
            output.Write(segment.Span);
        }
    }
}

/// <summary>Lines ended by '\n' (<see cref="SequenceReader{T}.TryReadTo(out ReadOnlySequence{T}, T, bool)"/>), each written back with its '\n'.</summary>
public sealed class KestrelLineEchoConnectionHandler : KestrelFramedEchoConnectionHandler
{
    protected override SequencePosition EchoFrames(in ReadOnlySequence<byte> buffer, PipeWriter output, out int frames, out bool tooLong)
    {
        var reader = new SequenceReader<byte>(buffer);
        frames = 0;
        while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
        {
            Write(output, line);
            output.GetSpan(1)[0] = (byte)'\n';
            output.Advance(1);
            frames++;
        }

        tooLong = reader.Remaining > FramedEcho.MaxLength;
        return reader.Position;
    }
}

/// <summary>Frames behind a 4-byte big-endian length, each written back behind the same prefix.</summary>
public sealed class KestrelPrefixEchoConnectionHandler : KestrelFramedEchoConnectionHandler
{
    protected override SequencePosition EchoFrames(in ReadOnlySequence<byte> buffer, PipeWriter output, out int frames, out bool tooLong)
    {
        var reader = new SequenceReader<byte>(buffer);
        frames = 0;
        tooLong = false;
        while (reader.TryReadBigEndian(out int length))
        {
            if ((uint)length > FramedEcho.MaxLength)
            {
                tooLong = true;
                break;
            }

            if (reader.Remaining < length)
            {
                reader.Rewind(4);
                break;
            }

            BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), length);
            output.Advance(4);
            Write(output, reader.UnreadSequence.Slice(0, length));
            reader.Advance(length);
            frames++;
        }

        return reader.Position;
    }
}
