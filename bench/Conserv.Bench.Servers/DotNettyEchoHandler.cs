using DotNetty.Transport.Channels;

namespace Conserv.Bench.Servers;

/// <summary>DotNetty's echo: write each read buffer back (the write releases it), flush once per read batch.</summary>
public sealed class DotNettyEchoHandler : ChannelHandlerAdapter
{
    public override bool IsSharable => true;

    public override void ChannelRead(IChannelHandlerContext context, object message) => context.WriteAsync(message);

    public override void ChannelReadComplete(IChannelHandlerContext context) => context.Flush();

    public override void ExceptionCaught(IChannelHandlerContext context, System.Exception exception) => context.CloseAsync();
}
