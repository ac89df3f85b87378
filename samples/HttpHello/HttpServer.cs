using System;

namespace Conserv.Samples.HttpHello;

/// <summary>The server's driver: gives every connection its own <see cref="HttpSession"/> (the runtime frames its requests, one decoder per connection).</summary>
/// <param name="headTimeout">How long a client may take to send a request head, from its first byte (or from connecting).</param>
public sealed partial class HttpServer(TimeSpan headTimeout)
{
    /// <summary>Kestrel's default for the time a client may take to send a request head: 30 seconds.</summary>
    public static readonly TimeSpan DefaultHeadTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Kestrel's default for how long a kept-alive connection may wait for its next request: 130 seconds.</summary>
    public static readonly TimeSpan DefaultKeepAliveTimeout = TimeSpan.FromSeconds(130);

    [OnServerConnection]
    private void Accepted(TcpSocket client)
    {
        client.Driver = new HttpSession(headTimeout);
        client.SetDeadline(headTimeout); // the first request's head must arrive in time (slowloris)
    }
}
