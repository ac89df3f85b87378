using System;
using System.Globalization;
using System.IO;
using System.Net.Sockets;
using System.Text;

namespace Conserv.Samples.HttpHello;

/// <summary>
/// One HTTP connection: the runtime frames its requests with <see cref="HttpRequestDecoder"/> and delivers them one
/// at a time, in order (so pipelined requests get their responses in order); the connection stays open between
/// requests unless the client asks to close it.
/// </summary>
/// <remarks>
/// Two time-outs keep slow clients from holding connections (slowloris): a request head must be complete within
/// <c>headTimeout</c> of its first byte (a deadline, answered with 408), and a kept-alive connection may wait for
/// its next request only for the server's idle time-out (then it is dropped). The first byte of a request is seen by
/// the decoder, which tells the session (<see cref="IHttpRequestStartListener"/>); the first request's deadline runs
/// from the connection, as the server arms it.
/// </remarks>
/// <param name="headTimeout">How long a request head may take, from its first byte.</param>
public sealed partial class HttpSession(TimeSpan headTimeout) : IHttpRequestStartListener
{
    private static readonly byte[] s_hello = "Hello, World!\n"u8.ToArray();
    private bool _headDeadlineArmed = true; // armed by the server on connection

    [OnSocketFrame(Decoder = typeof(HttpRequestDecoder), MaxLength = HttpRequestDecoder.MaxRequestLength)]
    private void Request(TcpSocket socket, HttpRequest request)
    {
        socket.ClearDeadline();
        _headDeadlineArmed = false;
        bool keepAlive = request.KeepAlive;
        Respond(socket, request, keepAlive);
        if (!keepAlive)
        {
            socket.Close(); // after the response is sent; later pipelined requests are not read
        }
    }

    /// <inheritdoc/>
    void IHttpRequestStartListener.OnRequestStarted(TcpSocket socket)
    {
        if (!_headDeadlineArmed)
        {
            socket.SetDeadline(headTimeout); // the first byte of a new request starts its clock
            _headDeadlineArmed = true;
        }
    }

    // The request head did not arrive in time: say so, and close (a slowloris client is cut off).
    [OnSocketError(typeof(DeadlineExceededException))]
    private static void TooSlow(TcpSocket socket, DeadlineExceededException error)
    {
        socket.ClearDeadline();
        WriteResponse(socket, 408, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes($"The request head did not arrive within {error.Timeout.TotalSeconds:0.###} s.\n"), keepAlive: false, includeBody: true);
        socket.Close();
    }

    // A request we cannot frame: answer with its status, then close (we cannot find the next request).
    [OnSocketError(typeof(HttpParseException))]
    private static void BadRequest(TcpSocket socket, HttpParseException error)
    {
        WriteResponse(socket, error.Status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(error.Message + "\n"), keepAlive: false, includeBody: true);
        socket.Close();
    }

    // The client ended its side in the middle of a request: nothing to answer; the end of file closes the connection.
    [OnSocketError(typeof(EndOfStreamException))]
    private static void Truncated(EndOfStreamException error)
    {
    }

    [OnSocketError(typeof(SocketException))]
    private static void Gone(SocketException error)
    {
    }

    private static void Respond(TcpSocket socket, HttpRequest request, bool keepAlive)
    {
        bool head = request.Method == "HEAD";
        string path = request.Target.Split('?', 2)[0];
        switch (path)
        {
            case "/" when request.Method is "GET" or "HEAD":
                WriteResponse(socket, 200, "text/plain; charset=utf-8", s_hello, keepAlive, includeBody: !head);
                break;
            case "/echo" when request.Method is "POST" or "PUT":
                WriteResponse(socket, 200, request.Header("Content-Type") ?? "application/octet-stream", request.Body.Span, keepAlive, includeBody: true);
                break;
            case "/" or "/echo":
                WriteResponse(socket, 405, "text/plain; charset=utf-8", "Method Not Allowed\n"u8, keepAlive, includeBody: !head,
                    extraHeaders: path == "/" ? "Allow: GET, HEAD\r\n" : "Allow: POST, PUT\r\n");
                break;
            default:
                WriteResponse(socket, 404, "text/plain; charset=utf-8", "Not Found\n"u8, keepAlive, includeBody: !head);
                break;
        }
    }

    private static void WriteResponse(TcpSocket socket, int status, string contentType, ReadOnlySpan<byte> body, bool keepAlive, bool includeBody, string extraHeaders = "")
    {
        socket.Write(
            $"HTTP/1.1 {status} {Reason(status)}\r\n" +
            $"Date: {DateTime.UtcNow.ToString("r", CultureInfo.InvariantCulture)}\r\n" +
            "Server: Conserv.Gen-HttpHello\r\n" +
            $"Content-Type: {contentType}\r\n" +
            $"Content-Length: {body.Length.ToString(CultureInfo.InvariantCulture)}\r\n" +
            extraHeaders +
            (keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n") +
            "\r\n");
        if (includeBody)
        {
            socket.Write(body);
        }
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        408 => "Request Timeout",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    };
}
