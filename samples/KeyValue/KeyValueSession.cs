using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Conserv.Samples.KeyValue;

/// <summary>
/// One Redis client. The runtime cuts its input into commands with <see cref="RespDecoder"/> and delivers them
/// one per call, in order (pipelining); every reply a batch of commands writes goes out in one system call.
/// A malformed request gets an error reply and closes this connection only.
/// </summary>
public sealed partial class KeyValueSession
{
    private readonly KeyValueStore _store;

    /// <summary>Creates a session on <paramref name="store"/>.</summary>
    /// <param name="store">The shared data.</param>
    public KeyValueSession(KeyValueStore store)
    {
        _store = store;
    }

    // One command per call; after QUIT's Close() no further command is delivered.
    [OnSocketFrame(Decoder = typeof(RespDecoder), MaxLength = RespDecoder.MaxCommandLength)]
    private void Command(TcpSocket socket, RespCommand command)
    {
        if (command.Count > 0) // an empty line or "*0": Redis ignores it
        {
            Execute(socket, command);
        }
    }

    // What Redis does with a malformed request: reply with the error, then close the connection.
    [OnSocketError(typeof(RespProtocolException))]
    private static void Malformed(TcpSocket socket, RespProtocolException error)
    {
        Resp.Error(socket, "ERR " + error.Message);
        socket.Close();
    }

    // A command larger than the server takes (Redis: "too big request"), refused before it is all buffered.
    [OnSocketError(typeof(FrameTooLongException))]
    private static void TooBig(TcpSocket socket, FrameTooLongException error)
    {
        Resp.Error(socket, $"ERR Protocol error: request longer than {error.MaxLength} bytes");
        socket.Close();
    }

    // Clients that vanish without QUIT are normal.
    [OnSocketError(typeof(SocketException))]
    private static void Gone(SocketException error)
    {
    }

    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private static bool TryParseInteger(ReadOnlySpan<byte> bytes, out long value) =>
        long.TryParse(bytes, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)
        && bytes.Length > 0 && bytes[0] != (byte)'+' && (bytes.Length == 1 || bytes[0] != (byte)'0') && !(bytes.Length > 1 && bytes[0] == (byte)'-' && bytes[1] == (byte)'0');

    // The commands this server knows, to name a command without allocating a string per request.
    private static readonly string[] s_commands =
        ["GET", "SET", "PING", "ECHO", "DEL", "EXISTS", "INCR", "INCRBY", "DECR", "DECRBY", "MGET", "MSET", "DBSIZE", "COMMAND", "QUIT"];

    /// <summary>The command's name in upper case: one of <see cref="s_commands"/> (no allocation), or a new string.</summary>
    private static string CommandName(ReadOnlySpan<byte> raw)
    {
        foreach (string known in s_commands)
        {
            if (raw.Length == known.Length && EqualsIgnoringAsciiCase(raw, known))
            {
                return known;
            }
        }

        return Text(raw).ToUpperInvariant();
    }

    private static bool EqualsIgnoringAsciiCase(ReadOnlySpan<byte> raw, string upper)
    {
        for (int i = 0; i < raw.Length; i++)
        {
            int c = raw[i];
            if ((c >= 'a' && c <= 'z' ? c - 32 : c) != upper[i])
            {
                return false;
            }
        }

        return true;
    }

    private void Execute(TcpSocket socket, RespCommand args)
    {
        string name = CommandName(args[0]);
        switch (name)
        {
            case "PING" when args.Count <= 2:
                if (args.Count == 1)
                {
                    Resp.Simple(socket, "PONG");
                }
                else
                {
                    Resp.Bulk(socket, args[1]);
                }

                break;
            case "ECHO" when args.Count == 2:
                Resp.Bulk(socket, args[1]);
                break;
            case "GET" when args.Count == 2:
                Resp.Bulk(socket, _store.Get(args[1]));
                break;
            case "SET" when args.Count >= 3:
                Set(socket, args);
                break;
            case "DEL" when args.Count >= 2:
                int removed = 0;
                for (int i = 1; i < args.Count; i++)
                {
                    removed += _store.Remove(args[i]) ? 1 : 0;
                }

                Resp.Integer(socket, removed);
                break;
            case "EXISTS" when args.Count >= 2:
                int found = 0;
                for (int i = 1; i < args.Count; i++)
                {
                    found += _store.Get(args[i]) is null ? 0 : 1;
                }

                Resp.Integer(socket, found);
                break;
            case "INCR" when args.Count == 2:
                Increment(socket, args[1], 1);
                break;
            case "INCRBY" when args.Count == 3:
            case "DECRBY" when args.Count == 3:
                if (!TryParseInteger(args[2], out long by))
                {
                    Resp.Error(socket, "ERR value is not an integer or out of range");
                }
                else if (name == "DECRBY" && by == long.MinValue)
                {
                    // -by would overflow (to itself): Redis refuses it with its own message.
                    Resp.Error(socket, "ERR decrement would overflow");
                }
                else
                {
                    Increment(socket, args[1], name == "DECRBY" ? -by : by);
                }

                break;
            case "DECR" when args.Count == 2:
                Increment(socket, args[1], -1);
                break;
            case "MGET" when args.Count >= 2:
                Resp.ArrayHeader(socket, args.Count - 1);
                for (int i = 1; i < args.Count; i++)
                {
                    Resp.Bulk(socket, _store.Get(args[i]));
                }

                break;
            case "MSET" when args.Count >= 3 && args.Count % 2 == 1:
                for (int i = 1; i < args.Count; i += 2)
                {
                    _store.Set(args[i], args[i + 1].ToArray());
                }

                Resp.Simple(socket, "OK");
                break;
            case "DBSIZE" when args.Count == 1:
                Resp.Integer(socket, _store.Count);
                break;
            case "COMMAND":
                // redis-cli asks for command docs in interactive mode; an empty answer is fine for it.
                Resp.ArrayHeader(socket, 0);
                break;
            case "QUIT":
                Resp.Simple(socket, "OK");
                socket.Close(); // sends the reply, then closes
                return;
            case "PING" or "ECHO" or "GET" or "SET" or "DEL" or "EXISTS" or "INCR" or "INCRBY" or "DECR" or "DECRBY" or "MGET" or "MSET" or "DBSIZE":
                Resp.Error(socket, $"ERR wrong number of arguments for '{name.ToLowerInvariant()}' command");
                break;
            default:
                var sb = new StringBuilder($"ERR unknown command '{Text(args[0])}', with args beginning with: ");
                for (int i = 1; i < args.Count && sb.Length < 128; i++)
                {
                    sb.Append('\'').Append(Text(args[i])).Append("' ");
                }

                Resp.Error(socket, sb.ToString());
                break;
        }
    }

    // SET key value [NX|XX] [EX seconds|PX milliseconds]
    private void Set(TcpSocket socket, RespCommand args)
    {
        bool nx = false, xx = false;
        long ttl = 0;
        for (int i = 3; i < args.Count; i++)
        {
            string option = Text(args[i]).ToUpperInvariant(); // options are rare: a string is fine
            if (option == "NX" && !xx)
            {
                nx = true;
            }
            else if (option == "XX" && !nx)
            {
                xx = true;
            }
            else if (option is "EX" or "PX" && ttl == 0 && i + 1 < args.Count)
            {
                if (!TryParseInteger(args[++i], out long amount))
                {
                    Resp.Error(socket, "ERR value is not an integer or out of range");
                    return;
                }

                if (amount <= 0 || amount > long.MaxValue / 1000)
                {
                    Resp.Error(socket, "ERR invalid expire time in 'set' command");
                    return;
                }

                ttl = option == "EX" ? amount * 1000 : amount;
            }
            else
            {
                Resp.Error(socket, "ERR syntax error");
                return;
            }
        }

        if (nx || xx)
        {
            bool exists = _store.Get(args[1]) is not null; // only NX and XX need a lookup before the store
            if ((nx && exists) || (xx && !exists))
            {
                Resp.Bulk(socket, null);
                return;
            }
        }

        _store.Set(args[1], args[2].ToArray(), ttl); // the value outlives the command: its one copy
        Resp.Simple(socket, "OK");
    }

    private void Increment(TcpSocket socket, ReadOnlySpan<byte> key, long by)
    {
        long current = 0;
        if (_store.Get(key) is { } value && !TryParseInteger(value, out current))
        {
            Resp.Error(socket, "ERR value is not an integer or out of range");
            return;
        }

        long next;
        try
        {
            next = checked(current + by);
        }
        catch (OverflowException)
        {
            Resp.Error(socket, "ERR increment or decrement would overflow");
            return;
        }

        _store.Set(key, Encoding.ASCII.GetBytes(next.ToString(CultureInfo.InvariantCulture)));
        Resp.Integer(socket, next);
    }
}
