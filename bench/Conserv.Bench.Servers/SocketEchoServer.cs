using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace Conserv.Bench.Servers;

/// <summary>
/// The plain .NET baseline: a <see cref="Socket"/> accept loop and, per connection, a
/// <c>ReceiveAsync</c>/<c>SendAsync</c> loop on one 16 KiB buffer (the ValueTask overloads, which reuse
/// their event args and allocate nothing per operation once warm).
/// </summary>
public sealed class SocketEchoServer : IEchoServer
{
    private Socket? _listener;
    private Task? _acceptLoop;

    public string Name => "socket";

    public int Port { get; private set; }

    public Task StartAsync(int port)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        _listener.Listen(1024);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = AcceptLoop(_listener);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }
    }

    private static async Task AcceptLoop(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            client.NoDelay = true;
            _ = Echo(client);
        }
    }

    private static async Task Echo(Socket client)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int count = await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                if (count == 0)
                {
                    break;
                }

                await client.SendAsync(buffer.AsMemory(0, count), SocketFlags.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }
}
