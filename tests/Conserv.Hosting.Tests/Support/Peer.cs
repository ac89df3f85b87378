using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace Conserv.Hosting.Tests.Support;

/// <summary>A plain .NET socket talking to a hosted server, every read bounded by <see cref="TestHost.Timeout"/>.</summary>
public sealed class Peer : IDisposable
{
    private readonly Socket _socket;

    private Peer(Socket socket) => _socket = socket;

    /// <summary>Connects over TCP to 127.0.0.1:<paramref name="port"/>.</summary>
    /// <param name="port">The port.</param>
    /// <returns>The connected peer.</returns>
    public static async Task<Peer> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TestHost.Timeout);
        return new Peer(socket);
    }

    /// <summary>Connects to the Unix-domain socket at <paramref name="path"/>.</summary>
    /// <param name="path">The socket file.</param>
    /// <returns>The connected peer.</returns>
    public static async Task<Peer> ConnectUnixAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)).WaitAsync(TestHost.Timeout);
        return new Peer(socket);
    }

    /// <summary>True when a TCP connect to 127.0.0.1:<paramref name="port"/> is refused (nothing listens).</summary>
    /// <param name="port">The port.</param>
    /// <returns>Whether the connection was refused.</returns>
    public static async Task<bool> IsRefusedAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TestHost.Timeout);
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The connect reached a listener's queue just as it closed (with several SO_REUSEPORT listeners closing
            // one by one): not refused yet; the caller asks again.
            return false;
        }
    }

    /// <summary>Waits, bounded, until nothing listens on <paramref name="port"/> any more.</summary>
    /// <param name="port">The port.</param>
    /// <returns>A task that completes once a connect is refused.</returns>
    public static async Task WaitUntilRefusedAsync(int port)
    {
        var deadline = DateTime.UtcNow + TestHost.Timeout;
        while (!await IsRefusedAsync(port))
        {
            Assert.True(DateTime.UtcNow < deadline, $"port {port} still accepts connections after {TestHost.Timeout.TotalSeconds} s");
            await Task.Delay(20);
        }
    }

    /// <summary>The local (client) port of the connection.</summary>
    public int LocalPort => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    /// <summary>Sends <paramref name="text"/> as UTF-8.</summary>
    /// <param name="text">The text.</param>
    /// <returns>A task that completes when it is sent.</returns>
    public async Task SendAsync(string text) =>
        await _socket.SendAsync(Encoding.UTF8.GetBytes(text).AsMemory()).AsTask().WaitAsync(TestHost.Timeout);

    /// <summary>Reads exactly <paramref name="length"/> bytes and decodes them as UTF-8.</summary>
    /// <param name="length">How many bytes.</param>
    /// <returns>The text.</returns>
    public async Task<string> ReceiveAsync(int length)
    {
        var buffer = new byte[length];
        int total = 0;
        while (total < length)
        {
            int read = await _socket.ReceiveAsync(buffer.AsMemory(total)).AsTask().WaitAsync(TestHost.Timeout);
            if (read == 0)
            {
                throw new EndOfStreamException($"the server closed after {total} of {length} bytes: '{Encoding.UTF8.GetString(buffer, 0, total)}'");
            }

            total += read;
        }

        return Encoding.UTF8.GetString(buffer);
    }

    /// <summary>Reads up to and including the next <c>\n</c>, one byte at a time (nothing past it is consumed).</summary>
    /// <returns>The line, without the <c>\n</c>.</returns>
    public async Task<string> ReceiveLineAsync()
    {
        var line = new MemoryStream();
        var one = new byte[1];
        while (true)
        {
            if (await _socket.ReceiveAsync(one.AsMemory()).AsTask().WaitAsync(TestHost.Timeout) == 0)
            {
                throw new EndOfStreamException($"the server closed before the end of the line: '{Encoding.UTF8.GetString(line.ToArray())}'");
            }

            if (one[0] == (byte)'\n')
            {
                return Encoding.UTF8.GetString(line.ToArray());
            }

            line.WriteByte(one[0]);
        }
    }

    /// <summary>Reads until the server ends the connection (end of file, or a reset, which counts as an end too).</summary>
    /// <returns>Everything read, as UTF-8.</returns>
    public async Task<string> ReceiveToEndAsync()
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await _socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TestHost.Timeout)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        return Encoding.UTF8.GetString(received.ToArray());
    }

    /// <inheritdoc/>
    public void Dispose() => _socket.Dispose();
}
