using System;

namespace Conserv.Samples.KeyValue;

/// <summary>
/// The server's driver: owns the store and gives each client its own <see cref="KeyValueSession"/> (with its
/// own parser). Every session runs on the server's loop thread, so the store needs no locks.
/// </summary>
public sealed partial class KeyValueServer
{
    private readonly KeyValueStore _store = new();

    [OnServerConnection]
    private void Accepted(TcpSocket client) => client.Driver = new KeyValueSession(_store);

    [OnServerClose]
    private void Closed(TcpServer server) => Console.WriteLine($"key/value server {SampleHost.Describe(server)} closed with {_store.Count} keys");
}
