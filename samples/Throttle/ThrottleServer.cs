namespace Conserv.Samples.Throttle;

/// <summary>The server's driver: gives every client a <see cref="ThrottleSession"/> with the configured rate.</summary>
public sealed partial class ThrottleServer
{
    private readonly long _bytesPerSecond;

    /// <summary>Creates the server driver.</summary>
    /// <param name="bytesPerSecond">Input each client may send per second (0: unlimited).</param>
    public ThrottleServer(long bytesPerSecond)
    {
        _bytesPerSecond = bytesPerSecond;
    }

    [OnServerConnection]
    private void Accepted(TcpSocket client) => client.Driver = new ThrottleSession(_bytesPerSecond);
}
