using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Sockets;

namespace Conserv.Samples.Chat;

/// <summary>
/// One client of the chat room. The first line is the nick; every later line goes to everyone else.
/// Commands: <c>/nick NAME</c>, <c>/who</c>, <c>/quit</c>.
/// </summary>
public sealed partial class ChatSession
{
    private const int MaxNickLength = 32;

    /// <summary>The nick, or null until the client has chosen one.</summary>
    public string? Nick { get; private set; }

    // One line per call, without its \n or \r\n: the runtime joins lines split across reads and decodes each
    // whole line with the server's input format (UTF-8), so a character split across reads arrives whole.
    [OnSocketLine(MaxLength = 4096)]
    private void Line(TcpSocket socket, string line) => OnLine(socket, line);

    [OnSocketClose]
    private void Left(TcpSocket socket, Exception? cause)
    {
        if (Nick is not null)
        {
            Broadcast(socket, $"* {Nick} left{(cause is null ? "" : $" ({Describe(cause)})")}\n");
        }
    }

    // A line that is too long (refused before the runtime buffers more than 4 KiB of it): tell the client and
    // drop it (only this client).
    [OnSocketError(typeof(FrameTooLongException))]
    private static void TooLong(TcpSocket socket, FrameTooLongException error)
    {
        socket.Write($"! Line longer than {error.MaxLength} bytes. Bye.\n");
        socket.Close();
    }

    // The peer went away abruptly (reset): nothing to do, the close handler tells the others.
    [OnSocketError(typeof(SocketException))]
    private static void Reset(SocketException error)
    {
    }

    // A member who stops reading is dropped by the runtime once the output limit is reached (an
    // OutputOverflowException through this socket's error dispatch, not the speaker's): everyone else goes on.
    private static string Describe(Exception cause) => cause switch
    {
        SocketException se => se.SocketErrorCode.ToString(),
        OutputOverflowException => "too far behind",
        IdleTimeoutException => "idle too long",
        _ => cause.GetType().Name,
    };

    private static IEnumerable<ChatSession> Members(TcpSocket socket) =>
        socket.Server!.Clients.Select(c => c.Driver).OfType<ChatSession>().Where(s => s.Nick is not null);

    private static void Broadcast(TcpSocket from, string message)
    {
        foreach (var client in from.Server!.Clients)
        {
            if (client != from && !client.IsClosed && client.Driver is ChatSession { Nick: not null })
            {
                try
                {
                    client.Write(message);
                }
                catch (ObjectDisposedException)
                {
                    // That client is closing too; it leaves on its own.
                }
            }
        }
    }

    private void OnLine(TcpSocket socket, string line)
    {
        if (Nick is null)
        {
            if (TryTakeNick(socket, line.Trim()))
            {
                var others = Members(socket).Where(s => s != this).Select(s => s.Nick).ToList();
                socket.Write($"Hello {Nick}! Online: {(others.Count == 0 ? "nobody else" : string.Join(", ", others))}\n");
                Broadcast(socket, $"* {Nick} joined\n");
            }

            return;
        }

        if (line.StartsWith('/'))
        {
            Command(socket, line);
        }
        else if (line.Length > 0)
        {
            Broadcast(socket, $"<{Nick}> {line}\n");
        }
    }

    private void Command(TcpSocket socket, string line)
    {
        int space = line.IndexOf(' ');
        string command = space < 0 ? line : line[..space];
        string argument = space < 0 ? "" : line[(space + 1)..].Trim();
        switch (command)
        {
            case "/nick":
                string old = Nick!;
                if (TryTakeNick(socket, argument))
                {
                    Broadcast(socket, $"* {old} is now {Nick}\n");
                    socket.Write($"You are now {Nick}\n");
                }

                break;
            case "/who":
                socket.Write($"Online: {string.Join(", ", Members(socket).Select(s => s.Nick))}\n");
                break;
            case "/quit":
                socket.Write("Bye!\n");
                socket.Close(); // sends "Bye!" first; the close handler tells the others
                break;
            default:
                socket.Write($"! Unknown command {command}. Try /nick NAME, /who, /quit\n");
                break;
        }
    }

    private bool TryTakeNick(TcpSocket socket, string nick)
    {
        if (nick.Length == 0 || nick.Length > MaxNickLength || nick.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) || nick.StartsWith('/'))
        {
            socket.Write($"! A nick is 1-{MaxNickLength} characters, no spaces. Your nick?\n");
            return false;
        }

        if (Members(socket).Any(s => s != this && string.Equals(s.Nick, nick, StringComparison.OrdinalIgnoreCase)))
        {
            socket.Write($"! {nick} is taken. Your nick?\n");
            return false;
        }

        Nick = nick;
        return true;
    }
}
