using System.Threading.Tasks;

namespace Conserv;

/// <summary>
/// A socket driver that receives frames decoded by an <see cref="IFrameDecoder{TFrame}"/>
/// (<see cref="SocketFraming.Decoder{TDecoder, TFrame}"/>). The source generator implements it for a handler
/// marked <c>[OnSocketFrame(Decoder = typeof(…))]</c>.
/// </summary>
/// <typeparam name="TFrame">The decoder's frame type.</typeparam>
public interface IFrameDriver<TFrame> : ISocketEventDriver
{
    /// <summary>One whole frame arrived. Runs on the socket's loop thread; frames arrive in order, one per call.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="frame">The frame; slices of the input it holds are valid until the returned task completes.</param>
    /// <returns>A task: until it completes, no further frame is delivered and the socket does not read.</returns>
    ValueTask OnSocketFrame(TcpSocket socket, TFrame frame);
}
