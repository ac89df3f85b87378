namespace Conserv.Samples.HttpHello;

/// <summary>
/// A driver that wants to know when the first bytes of a request arrive, before the request is whole (to start
/// the request head's deadline then). <see cref="HttpRequestDecoder"/> tells the driver of the socket it decodes for.
/// </summary>
public interface IHttpRequestStartListener
{
    /// <summary>
    /// Bytes of a request have arrived but not the whole request: called once per request, on the socket's loop
    /// thread, from the decoder; not called for a request whose bytes all came in one read.
    /// </summary>
    /// <param name="socket">The socket the request comes from.</param>
    void OnRequestStarted(TcpSocket socket);
}
