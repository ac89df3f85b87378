using System;
using System.Globalization;

namespace Conserv.Samples.KeyValue;

/// <summary>Writes RESP2 replies to a socket.</summary>
public static class Resp
{
    /// <summary>A simple string: <c>+OK</c>.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="text">The text (no CR or LF).</param>
    public static void Simple(TcpSocket socket, string text) => socket.Write($"+{text}\r\n");

    /// <summary>An error: <c>-ERR …</c>.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="message">The message, starting with its code (ERR, WRONGTYPE, …).</param>
    public static void Error(TcpSocket socket, string message) =>
        socket.Write($"-{message.Replace('\r', ' ').Replace('\n', ' ')}\r\n");

    /// <summary>An integer: <c>:42</c>.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="value">The value.</param>
    public static void Integer(TcpSocket socket, long value) => socket.Write($":{value.ToString(CultureInfo.InvariantCulture)}\r\n");

    /// <summary>A bulk string, or the null bulk string when <paramref name="value"/> is null.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="value">The bytes, or null.</param>
    public static void Bulk(TcpSocket socket, byte[]? value)
    {
        if (value is null)
        {
            socket.Write("$-1\r\n");
            return;
        }

        socket.Write($"${value.Length}\r\n"); // formatted into the write's pooled buffer: no string
        socket.Write(value);
        socket.Write("\r\n"u8);
    }

    /// <summary>A bulk string of <paramref name="value"/>'s bytes.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="value">The bytes.</param>
    public static void Bulk(TcpSocket socket, ReadOnlySpan<byte> value)
    {
        socket.Write($"${value.Length}\r\n");
        socket.Write(value);
        socket.Write("\r\n"u8);
    }

    /// <summary>An array header: <c>*count</c>; the elements follow.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="count">The number of elements.</param>
    public static void ArrayHeader(TcpSocket socket, int count) => socket.Write($"*{count.ToString(CultureInfo.InvariantCulture)}\r\n");
}
