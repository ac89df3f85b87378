using System;
using System.Globalization;
using System.Text;

namespace Conserv.Samples.HttpHello;

/// <summary>
/// Frames HTTP/1.x requests for <c>[OnSocketFrame(Decoder = typeof(HttpRequestDecoder))]</c>: one frame is one whole
/// request, the head up to the empty line that ends it and then <c>Content-Length</c> body bytes.
/// </summary>
/// <remarks>
/// <para><b>Linear.</b> The runtime hands the decoder the same input again, from the same start, with more appended,
/// until a request is whole. The decoder keeps its place: the head is read line by line as lines complete (the
/// request line and each header field checked once), the search for the next line end goes on where it stopped,
/// and while the body arrives only its length is compared. Every byte is looked at a bounded number of times,
/// however the reads cut the request.</para>
/// <para><b>No copy.</b> The request's <see cref="HttpRequest.Head"/> and <see cref="HttpRequest.Body"/> are slices
/// of the input (so of the read buffer when the request lies inside one read).</para>
/// <para><b>Bounded.</b> A head (with any empty lines before it) longer than <see cref="MaxHeadLength"/> is refused
/// with 431 as soon as that many bytes have come without its end, a declared body longer than
/// <see cref="MaxBodyLength"/> with 413 as soon as the head is read: a request never takes more than
/// <see cref="MaxRequestLength"/> bytes of the socket's buffer. Malformed requests throw
/// <see cref="HttpParseException"/> with their status as soon as the faulty line arrives.</para>
/// <para><b>Request start.</b> The first time a request is found incomplete, the decoder tells the socket's driver, if
/// it is an <see cref="IHttpRequestStartListener"/> (HttpSession starts the head deadline then).</para>
/// </remarks>
public sealed class HttpRequestDecoder : IFrameDecoder<HttpRequest>
{
    /// <summary>Largest request head (request line and headers, with the empty line that ends them).</summary>
    public const int MaxHeadLength = 16 * 1024;

    /// <summary>Largest body.</summary>
    public const int MaxBodyLength = 1024 * 1024;

    /// <summary>Largest request: the most input a request may take (the framing's maximum length).</summary>
    public const int MaxRequestLength = MaxHeadLength + MaxBodyLength;

    // Every position is an offset in the input, which starts at the same byte on every call until a request is returned.
    private Part _part;
    private int _requestLine;        // where the request line starts (after empty lines before it)
    private int _lineStart;          // where the line being read starts
    private int _searched;           // the bytes before it have been searched for '\n'
    private int _headEnd;            // where the body starts (Part.Body)
    private int _bodyLength;
    private string? _method;
    private string? _target;
    private int _minor;
    private bool _host;
    private bool _transferEncoding;
    private bool _conflictingLength;
    private int _lengthStart = -1;   // the first Content-Length value, if any
    private int _lengthLength;
    private bool _connection;        // a Connection header was seen (only the first counts)
    private bool _close;
    private bool _keepAlive;
    private bool _started;           // the driver was told this request had begun

    private enum Part : byte
    {
        /// <summary>Skipping empty lines before the request line.</summary>
        Start,

        /// <summary>Reading the request line and the header fields.</summary>
        Head,

        /// <summary>Waiting for the body.</summary>
        Body,
    }

    /// <summary>True while the decoder holds part of a request: <see cref="Decode"/> found it incomplete, and has not returned it yet.</summary>
    public bool HasPartialRequest => _started;

    /// <summary>How many input bytes the decoder has looked at, counted where it reads them (for the linearity tests).</summary>
    internal long Examined { get; private set; }

    /// <inheritdoc/>
    public int Decode(ReadOnlyMemory<byte> input, out HttpRequest frame)
    {
        frame = default;
        var span = input.Span;
        if (_part == Part.Start)
        {
            // RFC 9112 2.2: empty lines before a request line are ignored (some clients send one after a body).
            while (_requestLine < span.Length && span[_requestLine] is (byte)'\r' or (byte)'\n')
            {
                _requestLine++;
                Examined++;
            }

            if (_requestLine == span.Length)
            {
                return NeedMore(span.Length);
            }

            _part = Part.Head;
            _lineStart = _searched = _requestLine;
        }

        while (_part == Part.Head)
        {
            int found = span[_searched..].IndexOf((byte)'\n');
            if (found < 0)
            {
                Examined += span.Length - _searched;
                _searched = span.Length;
                return NeedMore(span.Length);
            }

            int end = _searched + found;
            _searched = end + 1;
            int start = _lineStart;
            _lineStart = _searched;
            Examined += found + 1 + (end - start); // searched, then read as a line
            if (_searched > MaxHeadLength)
            {
                throw new HttpParseException(431, "Request header fields too large");
            }

            var line = span[start..end];
            if (_method is null)
            {
                ReadRequestLine(HttpSyntax.TrimCr(line));
            }
            else if (line.IsEmpty || line is [(byte)'\r'])
            {
                EndHead(span);
            }
            else
            {
                ReadField(span, start, end);
            }
        }

        if (span.Length - _headEnd < _bodyLength)
        {
            return NeedMore(span.Length);
        }

        int length = _headEnd + _bodyLength;
        frame = new HttpRequest(_method!, _target!, _minor, _minor >= 1 ? !_close : _keepAlive,
            input[_requestLine.._headEnd], input.Slice(_headEnd, _bodyLength));
        Reset();
        return length;
    }

    /// <inheritdoc/>
    public void Reset()
    {
        _part = Part.Start;
        _requestLine = _lineStart = _searched = _headEnd = _bodyLength = 0;
        _method = _target = null;
        _minor = 0;
        _host = _transferEncoding = _conflictingLength = _connection = _close = _keepAlive = _started = false;
        _lengthStart = -1;
        _lengthLength = 0;
    }

    private static string MethodName(ReadOnlySpan<byte> method) =>
        method.SequenceEqual("GET"u8) ? "GET"
        : method.SequenceEqual("HEAD"u8) ? "HEAD"
        : method.SequenceEqual("POST"u8) ? "POST"
        : method.SequenceEqual("PUT"u8) ? "PUT"
        : method.SequenceEqual("DELETE"u8) ? "DELETE"
        : Encoding.Latin1.GetString(method);

    /// <summary>Not a whole request yet: refuse a head that is already too long, else wait (telling the driver once).</summary>
    private int NeedMore(int length)
    {
        if (_part != Part.Body && length > MaxHeadLength)
        {
            throw new HttpParseException(431, "Request header fields too large");
        }

        if (!_started)
        {
            _started = true;

            // Decode runs inside the socket's event, with TcpSocket.Current set; off a loop (a test) nobody is told.
            if (EventLoop.Current is not null && TcpSocket.Current is { Driver: IHttpRequestStartListener listener } socket)
            {
                listener.OnRequestStarted(socket);
            }
        }

        return 0;
    }

    // "METHOD target HTTP/1.x": exactly two spaces, a token for the method.
    private void ReadRequestLine(ReadOnlySpan<byte> line)
    {
        int first = line.IndexOf((byte)' ');
        int second = first < 0 ? -1 : line[(first + 1)..].IndexOf((byte)' ');
        if (second < 0)
        {
            throw new HttpParseException(400, "Malformed request line");
        }

        second += first + 1;
        var method = line[..first];
        var target = line[(first + 1)..second];
        var version = line[(second + 1)..];
        if (method.IsEmpty || target.IsEmpty || version.Contains((byte)' ') || !HttpSyntax.IsToken(method))
        {
            throw new HttpParseException(400, "Malformed request line");
        }

        _minor = version.SequenceEqual("HTTP/1.1"u8) ? 1
            : version.SequenceEqual("HTTP/1.0"u8) ? 0
            : version.StartsWith("HTTP/"u8) ? throw new HttpParseException(505, "HTTP version not supported")
            : throw new HttpParseException(400, "Malformed request line");
        _method = MethodName(method);
        _target = Encoding.Latin1.GetString(target);
    }

    // "name: value"; only the fields that frame the request (or decide keep-alive) are remembered.
    private void ReadField(ReadOnlySpan<byte> input, int start, int end)
    {
        var line = HttpSyntax.TrimCr(input[start..end]);
        if (line.IsEmpty)
        {
            return; // only CRs: not the end of the head (that is "\n" or "\r\n"), not a field either
        }

        int colon = line.IndexOf((byte)':');
        if (colon <= 0 || !HttpSyntax.IsToken(line[..colon]))
        {
            throw new HttpParseException(400, "Malformed header field");
        }

        var name = line[..colon];
        int valueStart = start + colon + 1;
        int valueEnd = start + line.Length;
        while (valueStart < valueEnd && input[valueStart] is (byte)' ' or (byte)'\t')
        {
            valueStart++;
        }

        while (valueEnd > valueStart && input[valueEnd - 1] is (byte)' ' or (byte)'\t')
        {
            valueEnd--;
        }

        var value = input[valueStart..valueEnd];
        if (Ascii.EqualsIgnoreCase(name, "Host"u8))
        {
            _host = true;
        }
        else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
        {
            _transferEncoding = true;
        }
        else if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
        {
            if (_lengthStart < 0)
            {
                _lengthStart = valueStart;
                _lengthLength = value.Length;
            }
            else if (!value.SequenceEqual(input.Slice(_lengthStart, _lengthLength)))
            {
                _conflictingLength = true;
            }
        }
        else if (Ascii.EqualsIgnoreCase(name, "Connection"u8) && !_connection)
        {
            _connection = true;
            _close = HttpSyntax.HasToken(value, "close"u8);
            _keepAlive = HttpSyntax.HasToken(value, "keep-alive"u8);
        }
    }

    // The empty line: the head is whole. What frames the body is checked now (RFC 9112 6.3), before any of it is awaited.
    private void EndHead(ReadOnlySpan<byte> input)
    {
        if (_minor == 1 && !_host)
        {
            throw new HttpParseException(400, "Missing Host header");
        }

        if (_transferEncoding)
        {
            throw new HttpParseException(501, "Transfer-Encoding is not supported");
        }

        if (_conflictingLength)
        {
            throw new HttpParseException(400, "Conflicting Content-Length");
        }

        long length = 0;
        if (_lengthStart >= 0 && !long.TryParse(input.Slice(_lengthStart, _lengthLength), NumberStyles.None, CultureInfo.InvariantCulture, out length))
        {
            throw new HttpParseException(400, "Invalid Content-Length");
        }

        if (length > MaxBodyLength)
        {
            throw new HttpParseException(413, "Content too large");
        }

        _headEnd = _searched;
        _bodyLength = (int)length;
        _part = Part.Body;
    }
}
