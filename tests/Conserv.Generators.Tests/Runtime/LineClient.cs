using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Generators.Tests.Runtime;

/// <summary>An independent client on plain System.Net.Sockets; every wait is bounded by <see cref="Timeout"/>.</summary>
internal sealed class LineClient : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly Socket _socket;
    private readonly StringBuilder _pending = new();

    private LineClient(Socket socket) => _socket = socket;

    public static async Task<LineClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        return new LineClient(socket);
    }

    public async Task SendAsync(string text)
    {
        using var cts = new CancellationTokenSource(Timeout);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int sent = 0;
        while (sent < bytes.Length)
        {
            sent += await _socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None, cts.Token);
        }
    }

    /// <summary>Reads until <paramref name="count"/> characters arrived (or the peer closed); returns them, or null at end of stream.</summary>
    public async Task<string?> ReceiveAsync(int count)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var buffer = new byte[4096];
        while (_pending.Length < count)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                n = 0;
            }

            if (n == 0)
            {
                break;
            }

            _pending.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        if (_pending.Length == 0)
        {
            return null;
        }

        string result = _pending.ToString(0, Math.Min(count, _pending.Length));
        _pending.Remove(0, result.Length);
        return result;
    }

    /// <summary>Sends one line and reads one line back (without its '\n').</summary>
    public async Task<string?> AskAsync(string command)
    {
        await SendAsync(command + "\n");
        var line = new StringBuilder();
        while (true)
        {
            string? next = await ReceiveAsync(1);
            if (next is null)
            {
                return line.Length == 0 ? null : line.ToString();
            }

            if (next == "\n")
            {
                return line.ToString();
            }

            line.Append(next);
        }
    }

    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public void Dispose() => _socket.Dispose();
}
