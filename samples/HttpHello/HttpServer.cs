namespace Conserv.Samples.HttpHello;

/// <summary>The server's driver: gives every connection its own <see cref="HttpSession"/>, whose parser holds that connection's partial request.</summary>
public sealed partial class HttpServer
{
    [OnServerConnection]
    private static void Accepted(TcpSocket client) => client.Driver = new HttpSession();
}
