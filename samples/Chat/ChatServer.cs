using System;

namespace Conserv.Samples.Chat;

/// <summary>
/// The server's driver: gives every new client its own <see cref="ChatSession"/> driver, which holds that
/// client's nick and partial line. All sessions run on the server's loop thread, so they share state without locks.
/// </summary>
public sealed partial class ChatServer
{
    [OnServerConnection]
    private static void Welcome(TcpServer server, TcpSocket client)
    {
        // Later events of this socket go to the session (Conserv's setf socket-driver).
        client.Driver = new ChatSession();
        client.Write($"Welcome to the Conserv chat, {server.ClientCount} connected. Your nick?\n");
    }

    [OnServerClose]
    private static void Closed(TcpServer server) => Console.WriteLine($"chat server {SampleHost.Describe(server)} closed");
}
