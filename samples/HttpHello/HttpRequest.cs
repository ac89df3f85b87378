using System;
using System.Collections.Generic;
using System.Text;

namespace Conserv.Samples.HttpHello;

/// <summary>
/// One HTTP/1.x request, as <see cref="HttpRequestDecoder"/> framed it: the request line parsed, the head and the
/// body as slices of the socket's input (no copy), valid until the handler that received the request returns.
/// </summary>
public readonly struct HttpRequest
{
    /// <summary>Creates a request (the decoder does, once the head is checked and the body is all there).</summary>
    /// <param name="method">The method.</param>
    /// <param name="target">The request target.</param>
    /// <param name="minor">1 for HTTP/1.1, 0 for HTTP/1.0.</param>
    /// <param name="keepAlive">Whether the connection stays open after the response.</param>
    /// <param name="head">The request line and the header fields, with the empty line that ends them.</param>
    /// <param name="body">The body (Content-Length bytes).</param>
    internal HttpRequest(string method, string target, int minor, bool keepAlive, ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> body)
    {
        Method = method;
        Target = target;
        Minor = minor;
        KeepAlive = keepAlive;
        Head = head;
        Body = body;
    }

    /// <summary>The method, e.g. GET.</summary>
    public string Method { get; }

    /// <summary>The request target, e.g. /hello?x=1.</summary>
    public string Target { get; }

    /// <summary>1 for HTTP/1.1, 0 for HTTP/1.0.</summary>
    public int Minor { get; }

    /// <summary>HTTP/1.1 keeps the connection unless "Connection: close"; HTTP/1.0 closes unless "Connection: keep-alive".</summary>
    public bool KeepAlive { get; }

    /// <summary>The request line and the header fields, with the empty line that ends them: a slice of the input.</summary>
    public ReadOnlyMemory<byte> Head { get; }

    /// <summary>The body (Content-Length bytes, maybe none): a slice of the input.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The header fields, in order (made from <see cref="Head"/> on each call).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers
    {
        get
        {
            var headers = new List<KeyValuePair<string, string>>();
            foreach (var header in new FieldEnumerator(Head.Span))
            {
                headers.Add(new(Encoding.Latin1.GetString(header.Name), Encoding.Latin1.GetString(header.Value)));
            }

            return headers;
        }
    }

    /// <summary>The first value of a header, or null.</summary>
    /// <param name="name">The header name (case-insensitive).</param>
    /// <returns>The value (header bytes are Latin-1: every byte is kept, RFC 9110 5.5), or null.</returns>
    public string? Header(string name)
    {
        foreach (var header in new FieldEnumerator(Head.Span))
        {
            if (Ascii.EqualsIgnoreCase(header.Name, name))
            {
                return Encoding.Latin1.GetString(header.Value);
            }
        }

        return null;
    }

    /// <summary>The fields of a head the decoder has checked: every line after the request line is "name: value" or empty.</summary>
    private ref struct FieldEnumerator(ReadOnlySpan<byte> head)
    {
        private ReadOnlySpan<byte> _rest = head[(head.IndexOf((byte)'\n') + 1)..];

        public Field Current { get; private set; }

        public readonly FieldEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            while (!_rest.IsEmpty)
            {
                int end = _rest.IndexOf((byte)'\n');
                var line = HttpSyntax.TrimCr(end < 0 ? _rest : _rest[..end]);
                _rest = end < 0 ? default : _rest[(end + 1)..];
                int colon = line.IndexOf((byte)':');
                if (colon > 0)
                {
                    Current = new Field(line[..colon], HttpSyntax.TrimOws(line[(colon + 1)..]));
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>One header field: its name and its value without the whitespace around it.</summary>
    private readonly ref struct Field(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        public ReadOnlySpan<byte> Name { get; } = name;

        public ReadOnlySpan<byte> Value { get; } = value;
    }
}
