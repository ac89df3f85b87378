using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>
/// A socket as a <see cref="Stream"/> (<see cref="TcpSocket.AsStream"/>) and as a <see cref="TextWriter"/>
/// (<see cref="TcpSocket.Out"/>): every member, on a real connection; and <see cref="ExternalFormat"/>'s values.
/// </summary>
public class StreamTests
{
    [Fact]
    public async Task Every_write_member_of_a_sockets_stream_sends_its_bytes_in_order_and_the_rest_refuse_clearly()
    {
        Exception? failure = null;
        bool? canWriteBeforeClose = null;
        Stream? kept = null;
        var driver = new RecordingDriver
        {
            OnConnection = async (_, c) =>
            {
                try
                {
                    var stream = kept = c.AsStream();
                    Assert.False(stream.CanRead);
                    Assert.False(stream.CanSeek);
                    canWriteBeforeClose = stream.CanWrite;
                    Assert.Equal("A connection's stream has no length.", Assert.Throws<NotSupportedException>(() => stream.Length).Message);
                    Assert.Equal("A connection's stream has no position.", Assert.Throws<NotSupportedException>(() => stream.Position).Message);
                    Assert.Equal("A connection's stream has no position.", Assert.Throws<NotSupportedException>(() => stream.Position = 0).Message);
                    Assert.Equal("A connection's stream cannot seek.", Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin)).Message);
                    Assert.Equal("A connection's stream has no length.", Assert.Throws<NotSupportedException>(() => stream.SetLength(0)).Message);
                    Assert.StartsWith("Data arrives through the driver's [OnSocketData] handler", Assert.Throws<NotSupportedException>(() => stream.Read(new byte[1], 0, 1)).Message);
                    Assert.Throws<ArgumentOutOfRangeException>(() => stream.Write(new byte[4], 3, 2));
                    Assert.Throws<ArgumentNullException>(() => stream.Write(null!, 0, 0));

                    stream.Write("xx1yy"u8.ToArray(), 2, 1);
                    stream.Write("2"u8);
                    stream.WriteByte((byte)'3');
                    await stream.WriteAsync("xx4"u8.ToArray(), 2, 1, CancellationToken.None);
                    await stream.WriteAsync("5"u8.ToArray().AsMemory());
                    stream.Flush();
                    await stream.FlushAsync();
                    c.Close();
                }
                catch (Exception e)
                {
                    failure = e;
                    c.Abort();
                }
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var (data, _) = await peer.ReadToEndAsync();
        await driver.Log.WaitForAsync("close");
        await server.Loop.Barrier();

        Assert.Null(failure);
        Assert.Equal("12345", Encoding.ASCII.GetString(data));
        Assert.True(canWriteBeforeClose);
        Assert.False(kept!.CanWrite, "a closed socket's stream still says it can write");
    }

    [Fact]
    public async Task Every_write_member_of_a_sockets_text_writer_sends_its_text_in_the_output_format()
    {
        Encoding? textEncoding = null, bytesEncoding = null;
        var latin1 = Encoding.Latin1;
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                var writer = c.Out;
                textEncoding = writer.Encoding;
                writer.Write('é');
                writer.Write((string?)null); // nothing
                writer.Write("ab");
                writer.Write("xcdx".ToCharArray(), 1, 2);
                writer.Write("ef".AsSpan());
                c.ExternalFormatOut = null;
                bytesEncoding = writer.Encoding; // a socket without a text format: the writer says UTF-8
                c.ExternalFormatOut = latin1;
                c.Close();
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, externalFormatOut: latin1);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var (data, _) = await peer.ReadToEndAsync();

        Assert.Equal(latin1.GetBytes("éabcdef"), data);
        Assert.Same(latin1, textEncoding);
        Assert.Same(ExternalFormat.Utf8, bytesEncoding);
    }

    [Fact]
    public void An_external_format_is_UTF_8_unless_given_bytes_or_an_encoding()
    {
        Assert.Same(ExternalFormat.Utf8, default(ExternalFormat).Encoding);
        Assert.Equal("utf-8", default(ExternalFormat).ToString());
        Assert.Empty(ExternalFormat.Utf8.GetPreamble()); // no byte order mark before the first write

        Assert.Null(ExternalFormat.Bytes.Encoding);
        Assert.Equal("bytes", ExternalFormat.Bytes.ToString());
        Assert.Null(ExternalFormat.FromEncoding(null).Encoding);

        ExternalFormat latin1 = Encoding.Latin1;
        Assert.Same(Encoding.Latin1, latin1.Encoding);
        Assert.Equal("iso-8859-1", latin1.ToString());
        Assert.Same(Encoding.Unicode, ExternalFormat.FromEncoding(Encoding.Unicode).Encoding);
    }

    [Fact]
    public void DropConnection_outside_an_error_handler_throws_and_says_what_to_use_instead()
    {
        var e = Assert.Throws<InvalidOperationException>(() => SocketEvents.DropConnection());
        Assert.StartsWith("SocketEvents.DropConnection can only be called while an [OnSocketError] handler runs", e.Message);
        Assert.Contains("TcpSocket.Abort()", e.Message);
    }
}
