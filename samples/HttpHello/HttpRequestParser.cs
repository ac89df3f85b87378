using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Conserv.Samples.HttpHello;

/// <summary>A request that cannot be served; the server answers with <see cref="Status"/> and closes.</summary>
public sealed class HttpParseException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The HTTP status to answer with (400, 413, 431, 501, 505).</param>
    /// <param name="message">What was wrong.</param>
    public HttpParseException(int status, string message) : base(message)
    {
        Status = status;
    }

    /// <summary>The HTTP status to answer with.</summary>
    public int Status { get; }
}

/// <summary>One parsed HTTP/1.x request.</summary>
/// <param name="Method">The method, e.g. GET.</param>
/// <param name="Target">The request target, e.g. /hello?x=1.</param>
/// <param name="Minor">1 for HTTP/1.1, 0 for HTTP/1.0.</param>
/// <param name="Headers">The header fields, in order.</param>
/// <param name="Body">The body (Content-Length bytes).</param>
public sealed record HttpRequest(string Method, string Target, int Minor, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    /// <summary>The first value of a header, or null.</summary>
    /// <param name="name">The header name (case-insensitive).</param>
    /// <returns>The value, or null.</returns>
    public string? Header(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>HTTP/1.1 keeps the connection unless "Connection: close"; HTTP/1.0 closes unless "Connection: keep-alive".</summary>
    public bool KeepAlive
    {
        get
        {
            string? connection = Header("Connection");
            bool has(string token) => connection is not null && Array.Exists(connection.Split(','), t => t.Trim().Equals(token, StringComparison.OrdinalIgnoreCase));
            return Minor >= 1 ? !has("close") : has("keep-alive");
        }
    }
}

/// <summary>
/// Frames HTTP/1.x requests out of a byte stream: the head ends at the first empty line, the body is
/// <c>Content-Length</c> bytes. Bytes are appended as they arrive; <see cref="TryRead"/> returns each complete
/// request, however the reads split it, and leaves pipelined requests that follow for the next call.
/// </summary>
public sealed class HttpRequestParser
{
    /// <summary>Largest request head (request line and headers).</summary>
    public const int MaxHeadLength = 16 * 1024;

    /// <summary>Largest body.</summary>
    public const int MaxBodyLength = 1024 * 1024;

    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;

    /// <summary>True while bytes of a request that is not complete yet are held.</summary>
    public bool HasPartialRequest => _end > _start;

    /// <summary>Adds received bytes.</summary>
    /// <param name="data">The bytes.</param>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (_buffer.Length - _end < data.Length)
        {
            int length = _end - _start;
            byte[] target = length + data.Length <= _buffer.Length ? _buffer : new byte[Math.Max(_buffer.Length * 2, length + data.Length)];
            _buffer.AsSpan(_start, length).CopyTo(target);
            _buffer = target;
            _start = 0;
            _end = length;
        }

        data.CopyTo(_buffer.AsSpan(_end));
        _end += data.Length;
    }

    /// <summary>Reads the next complete request, if all its bytes have arrived.</summary>
    /// <param name="request">The request.</param>
    /// <returns>True if a request was read; false if more bytes are needed.</returns>
    /// <exception cref="HttpParseException">The request is malformed or too large.</exception>
    public bool TryRead(out HttpRequest request)
    {
        request = null!;
        var span = _buffer.AsSpan(_start, _end - _start);

        // RFC 9112 2.2: ignore empty lines before a request line.
        int skip = 0;
        while (skip < span.Length && (span[skip] == (byte)'\r' || span[skip] == (byte)'\n'))
        {
            skip++;
        }

        _start += skip;
        span = span[skip..];
        if (span.IsEmpty)
        {
            _start = _end = 0;
            return false;
        }

        int headLength = FindEndOfHead(span);
        if (headLength < 0)
        {
            if (span.Length > MaxHeadLength)
            {
                throw new HttpParseException(431, "Request header fields too large");
            }

            return false;
        }

        if (headLength > MaxHeadLength)
        {
            throw new HttpParseException(431, "Request header fields too large");
        }

        var (method, target, minor, headers) = ParseHead(span[..headLength]);
        var partial = new HttpRequest(method, target, minor, headers, Array.Empty<byte>());
        if (partial.Header("Transfer-Encoding") is not null)
        {
            throw new HttpParseException(501, "Transfer-Encoding is not supported");
        }

        long bodyLength = 0;
        string? contentLength = null;
        foreach (var (key, value) in headers)
        {
            if (key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (contentLength is not null && contentLength != value)
                {
                    throw new HttpParseException(400, "Conflicting Content-Length");
                }

                contentLength = value;
            }
        }

        if (contentLength is not null && (!long.TryParse(contentLength, NumberStyles.None, CultureInfo.InvariantCulture, out bodyLength)))
        {
            throw new HttpParseException(400, "Invalid Content-Length");
        }

        if (bodyLength > MaxBodyLength)
        {
            throw new HttpParseException(413, "Content too large");
        }

        if (span.Length - headLength < bodyLength)
        {
            return false;
        }

        request = partial with { Body = span.Slice(headLength, (int)bodyLength).ToArray() };
        _start += headLength + (int)bodyLength;
        return true;
    }

    // Length of the head including the empty line that ends it ("\r\n\r\n", or a bare "\n\n"), or -1.
    private static int FindEndOfHead(ReadOnlySpan<byte> span)
    {
        for (int i = span.IndexOf((byte)'\n'); i >= 0 && i < span.Length; )
        {
            int next = i + 1;
            if (next < span.Length && span[next] == (byte)'\n')
            {
                return next + 1;
            }

            if (next + 1 < span.Length && span[next] == (byte)'\r' && span[next + 1] == (byte)'\n')
            {
                return next + 2;
            }

            int more = span[next..].IndexOf((byte)'\n');
            i = more < 0 ? -1 : next + more;
        }

        return -1;
    }

    private static (string Method, string Target, int Minor, List<KeyValuePair<string, string>> Headers) ParseHead(ReadOnlySpan<byte> head)
    {
        // Header values are bytes; Latin-1 keeps every byte (RFC 9110 5.5: obs-text).
        string text = Encoding.Latin1.GetString(head);
        string[] lines = text.Split('\n');
        string requestLine = lines[0].TrimEnd('\r');
        string[] parts = requestLine.Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0 || !IsToken(parts[0]))
        {
            throw new HttpParseException(400, "Malformed request line");
        }

        int minor = parts[2] switch
        {
            "HTTP/1.1" => 1,
            "HTTP/1.0" => 0,
            _ when parts[2].StartsWith("HTTP/", StringComparison.Ordinal) => throw new HttpParseException(505, "HTTP version not supported"),
            _ => throw new HttpParseException(400, "Malformed request line"),
        };

        var headers = new List<KeyValuePair<string, string>>();
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue; // the empty line that ends the head
            }

            int colon = line.IndexOf(':');
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                throw new HttpParseException(400, "Malformed header field");
            }

            headers.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }

        if (minor == 1 && headers.TrueForAll(h => !h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)))
        {
            throw new HttpParseException(400, "Missing Host header");
        }

        return (parts[0], parts[1], minor, headers);
    }

    private static bool IsToken(string s)
    {
        foreach (char c in s)
        {
            if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return s.Length > 0;
    }
}
