using System;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace Conserv.Samples.Client;

/// <summary>
/// A client for the Echo sample: sends a numbered message, waits for it to come back, sends the next after
/// an interval. If the connection cannot be made or is lost, it reconnects with exponential backoff.
/// </summary>
public sealed partial class EchoClient
{
    private readonly ClientSettings _settings;
    private readonly StringBuilder _line = new();
    private EventLoop? _loop;
    private LoopTimer? _timer;
    private TcpSocket? _socket;
    private int _failures;
    private long _sent;
    private long _received;
    private bool _done;

    /// <summary>Creates the client.</summary>
    /// <param name="settings">Where to connect and what to send.</param>
    public EchoClient(ClientSettings settings)
    {
        _settings = settings;
    }

    /// <summary>The process exit code: 0 when done or stopped, 1 after giving up.</summary>
    public int ExitCode { get; private set; }

    /// <summary>Connects for the first time. Call on the loop that should run the client.</summary>
    public void Start()
    {
        _loop = EventLoop.Current ?? throw new InvalidOperationException("Start the client on an event loop.");
        Connect();
    }

    /// <summary>Stops the client: closes the connection and cancels any reconnect. Safe from any thread.</summary>
    public void Stop() => _loop?.Post(() =>
    {
        _done = true;
        _timer?.Dispose();
        _socket?.Close();
    });

    // Fires once the non-blocking connect has really completed.
    [OnSocketConnect]
    private void Connected(TcpSocket socket)
    {
        Console.WriteLine($"connected to {Describe(socket)}");
        if (socket.Tls is { } tls)
        {
            // With --tls the connect event runs after the handshake: say what it settled.
            Console.WriteLine($"tls: {tls}, server certificate {tls.RemoteCertificate?.Subject}");
        }

        _failures = 0;
        Send(socket);
    }

    // Text mode (UTF-8 by default): replies are framed into lines across reads.
    [OnSocketData]
    private void Received(TcpSocket socket, ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (c != '\n')
            {
                _line.Append(c);
                continue;
            }

            Console.WriteLine($"received: {_line}");
            _line.Clear();
            _received++;
            if (_settings.Count > 0 && _received >= _settings.Count)
            {
                Console.WriteLine($"done after {_received} replies");
                _done = true;
                socket.Close();
                return;
            }

            _timer = socket.Loop.Schedule(_settings.Interval, () => Send(socket));
        }
    }

    // Connection refused, reset, host unreachable, name not found: say why; the socket closes and
    // the close handler schedules a reconnect.
    [OnSocketError(typeof(SocketException))]
    private static void NetworkError(TcpSocket socket, SocketException error) =>
        Console.WriteLine($"connection error: {error.SocketErrorCode} ({error.Message})");

    // With --tls: the server's certificate was refused (self-signed without --insecure, wrong name) or the server
    // does not speak TLS. Said in one line; the socket closes and the close handler reconnects as after any failure.
    [OnSocketError(typeof(AuthenticationException))]
    private static void TlsFailed(AuthenticationException error) =>
        Console.WriteLine($"tls error: {error.Message}");

    // Anything else is a bug here: report it and drop the connection.
    [OnSocketError]
    private static void Unexpected(Exception error)
    {
        Console.Error.WriteLine($"unexpected error: {error}");
        SocketEvents.DropConnection(error);
    }

    // Always the last event of a socket, also after a failed connect: the place to reconnect.
    [OnSocketClose]
    private void Closed(TcpSocket socket, Exception? cause)
    {
        _timer?.Dispose();
        _timer = null;
        _line.Clear();
        if (_done)
        {
            Console.WriteLine("closed");
            return; // nothing left on the loop: EventLoop.Run returns
        }

        if (cause is null)
        {
            Console.WriteLine("server closed the connection");
        }

        _failures++;
        if (_settings.MaxRetries > 0 && _failures > _settings.MaxRetries)
        {
            Console.WriteLine($"giving up after {_settings.MaxRetries} retries");
            ExitCode = 1;
            return;
        }

        // Exponential backoff: base, 2×base, 4×base, … up to the maximum.
        double delay = Math.Min(_settings.RetryBase.TotalMilliseconds * Math.Pow(2, Math.Min(_failures - 1, 20)), _settings.RetryMax.TotalMilliseconds);
        Console.WriteLine($"reconnecting in {delay:0} ms (retry {_failures})");
        _timer = socket.Loop.Schedule(TimeSpan.FromMilliseconds(delay), Connect);
    }

    private static string Describe(TcpSocket socket) => socket.IsLocal ? $"unix:{socket.RemoteName}" : $"{socket.RemoteName}:{socket.RemotePort}";

    private void Connect()
    {
        _timer = null;
        if (_done)
        {
            return;
        }

        _socket = _settings.UnixPath is { } path
            ? TcpSocket.ConnectUnix(this, path)
            : TcpSocket.Connect(this, _settings.Host, _settings.Port, tls: _settings.Tls);
    }

    private void Send(TcpSocket socket)
    {
        _timer = null;
        if (_done || socket.IsClosed)
        {
            return;
        }

        _sent++;
        socket.Write($"{_settings.Message} {_sent}\n");
    }
}

/// <summary>What the client connects to and sends.</summary>
/// <param name="Host">TCP host.</param>
/// <param name="Port">TCP port.</param>
/// <param name="UnixPath">Unix socket path, used instead of TCP when set.</param>
/// <param name="Message">The text of each message (a number is appended).</param>
/// <param name="Count">Stop after this many replies (0: never).</param>
/// <param name="Interval">Pause between a reply and the next message.</param>
/// <param name="RetryBase">First reconnect delay; it doubles after each failure.</param>
/// <param name="RetryMax">Longest reconnect delay.</param>
/// <param name="MaxRetries">Give up after this many failures in a row (0: never).</param>
/// <param name="Tls">TLS after the TCP connect, or null for plain TCP.</param>
public sealed record ClientSettings(string Host, int Port, string? UnixPath, string Message, long Count,
    TimeSpan Interval, TimeSpan RetryBase, TimeSpan RetryMax, long MaxRetries, SslClientAuthenticationOptions? Tls = null);
