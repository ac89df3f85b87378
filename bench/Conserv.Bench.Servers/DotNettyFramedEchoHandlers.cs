using DotNetty.Buffers;
using DotNetty.Transport.Channels;

namespace Conserv.Bench.Servers;

/// <summary>
/// Behind DotNetty's <c>LineBasedFrameDecoder</c> (delimiter stripped): each line goes back in one pooled buffer
/// with its '\n'; flush once per read batch, as <see cref="DotNettyEchoHandler"/> does.
/// </summary>
public sealed class DotNettyLineEchoHandler : ChannelHandlerAdapter
{
    public override bool IsSharable => true;

    public override void ChannelRead(IChannelHandlerContext context, object message)
    {
        var line = (IByteBuffer)message;
        var reply = context.Allocator.Buffer(line.ReadableBytes + 1);
        reply.WriteBytes(line);
        reply.WriteByte('\n');
        line.Release();
        context.WriteAsync(reply);
    }

    public override void ChannelReadComplete(IChannelHandlerContext context) => context.Flush();

    public override void ExceptionCaught(IChannelHandlerContext context, System.Exception exception) => context.CloseAsync();
}

/// <summary>
/// Behind DotNetty's <c>LengthFieldBasedFrameDecoder</c> (4-byte big-endian prefix stripped): each frame goes back
/// in one pooled buffer behind the same prefix; flush once per read batch.
/// </summary>
public sealed class DotNettyPrefixEchoHandler : ChannelHandlerAdapter
{
    public override bool IsSharable => true;

    public override void ChannelRead(IChannelHandlerContext context, object message)
    {
        var frame = (IByteBuffer)message;
        var reply = context.Allocator.Buffer(frame.ReadableBytes + 4);
        reply.WriteInt(frame.ReadableBytes); // big-endian
        reply.WriteBytes(frame);
        frame.Release();
        context.WriteAsync(reply);
    }

    public override void ChannelReadComplete(IChannelHandlerContext context) => context.Flush();

    public override void ExceptionCaught(IChannelHandlerContext context, System.Exception exception) => context.CloseAsync();
}
