using System;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

public class ErrorTests
{
    private static ValueTask<bool> Handled(TcpSocket _, Exception __) => new(true);

    [Fact]
    public async Task A_handler_exception_reaches_the_error_handler_with_its_real_type_and_current_set()
    {
        var thrown = new CustomTestException("from data");
        bool currentWasSocket = false;
        var driver = new RecordingDriver
        {
            OnData = (_, _) => throw thrown,
            OnError = (s, _) =>
            {
                currentWasSocket = ReferenceEquals(TcpSocket.Current, s);
                return new(true);
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[] { 1 });
        await driver.Log.WaitForAsync("error");
        await server.Loop.Barrier();

        Assert.Same(thrown, driver.Log.First("error").Error);
        Assert.True(currentWasSocket);
    }

    [Fact]
    public async Task A_faulted_async_data_handler_reaches_the_error_handler_with_its_real_type()
    {
        var driver = new RecordingDriver
        {
            OnData = async (_, _) =>
            {
                await Task.Yield();
                throw new CustomTestException("async");
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[] { 1 });
        await driver.Log.WaitForAsync("close");
        Assert.IsType<CustomTestException>(driver.Log.First("error").Error);
        Assert.IsType<CustomTestException>(driver.Log.First("close").Error);
    }

    [Fact]
    public async Task A_connect_refused_reaches_the_error_handler_as_SocketException_ConnectionRefused()
    {
        var driver = new RecordingDriver { OnError = Handled };
        var client = TcpSocket.Connect(driver, "127.0.0.1", Peer.UnusedPort());
        await client.Closed.WithTimeout("close after refused connect");

        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        // Handled or not, a refused connect leaves nothing to keep open.
        Assert.Equal(new[] { "error", "close" }, driver.Log.KindsOf(client));
    }

    [Fact]
    public async Task Invalid_input_with_a_throwing_encoding_raises_DecoderFallbackException_and_a_handled_error_keeps_the_connection()
    {
        var driver = new RecordingDriver
        {
            Features = SocketDriverFeatures.TextData,
            OnError = Handled,
        };
        await using var server = TcpServer.Listen(driver, port: 0, externalFormatIn: new UTF8Encoding(false, true));
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[] { 0xFF, 0xFE });
        await driver.Log.WaitForAsync("error");
        Assert.IsType<DecoderFallbackException>(driver.Log.First("error").Error);

        await peer.SendAllAsync(Encoding.UTF8.GetBytes("still here \u00E9"));
        await driver.Log.WaitForTextAsync("still here \u00E9");
        Assert.Equal(0, driver.Log.Count("close"));
    }

    [Fact]
    public async Task After_a_decoding_error_the_bytes_the_decoder_held_are_dropped_and_the_next_text_decodes_clean()
    {
        var driver = new RecordingDriver
        {
            Features = SocketDriverFeatures.TextData,
            OnError = Handled,
        };
        await using var server = TcpServer.Listen(driver, port: 0, externalFormatIn: new UTF8Encoding(false, true));
        using var peer = await Peer.ConnectAsync(server.Port!.Value);

        // "x" and the first two bytes of a three-byte character: the decoder keeps those two for the next read.
        await peer.SendAllAsync(new byte[] { (byte)'x', 0xE2, 0x9C });
        await driver.Log.WaitForTextAsync("x");
        await peer.SendAllAsync("A"u8.ToArray()); // not the character's third byte: a decoding error
        await driver.Log.WaitForAsync("error");
        Assert.IsType<DecoderFallbackException>(driver.Log.First("error").Error);

        await peer.SendAllAsync("ok"u8.ToArray());
        await driver.Log.WaitForTextAsync("ok");
        Assert.Equal(1, driver.Log.Count("error"));
        Assert.Equal("xok", driver.Log.TextOf());
    }

    [Fact]
    public async Task Invalid_input_with_the_default_encoding_becomes_replacement_characters()
    {
        var driver = new RecordingDriver { Features = SocketDriverFeatures.TextData };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[] { (byte)'a', 0xFF, (byte)'b' });
        await driver.Log.WaitForTextAsync("b");
        Assert.Equal("a\uFFFDb", driver.Log.TextOf());
        Assert.Equal(0, driver.Log.Count("error"));
    }

    [Theory]
    [InlineData("ok ")]
    [InlineData("")]
    public async Task A_character_cut_off_by_the_end_of_the_stream_reaches_the_text_handler_as_U_FFFD_before_eof(string before)
    {
        var driver = new RecordingDriver { Features = SocketDriverFeatures.TextData };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);

        // "✓" is E2 9C 93 in UTF-8: send its first two bytes, then end the stream.
        await peer.SendAllAsync([.. Encoding.UTF8.GetBytes(before), 0xE2, 0x9C]);
        peer.Shutdown(SocketShutdown.Send);
        await driver.Log.WaitForAsync("close");

        var socket = driver.Log.First("connection").Socket!;
        Assert.Equal(before + "\uFFFD", driver.Log.TextOf(socket));
        Assert.Equal(new[] { "connection", "text", "eof", "close" }, driver.Log.KindsOf(socket).Collapse().Where(k => k != "outputEmpty"));
        Assert.Equal("\uFFFD", driver.Log.Events.Last(e => e.Kind == "text").Text);
        Assert.Equal(0, driver.Log.Count("error"));
    }

    [Fact]
    public async Task A_stream_that_ends_after_whole_characters_gets_no_empty_text_event_before_eof()
    {
        var driver = new RecordingDriver { Features = SocketDriverFeatures.TextData };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);

        await peer.SendAllAsync(Encoding.UTF8.GetBytes("ok ✓"));
        peer.Shutdown(SocketShutdown.Send);
        await driver.Log.WaitForAsync("close");

        var socket = driver.Log.First("connection").Socket!;
        Assert.Equal("ok ✓", driver.Log.TextOf(socket));
        Assert.All(driver.Log.Events.Where(e => e.Kind == "text"), e => Assert.NotEmpty(e.Text!));
        Assert.Equal("eof", driver.Log.KindsOf(socket).Last(k => k is not ("outputEmpty" or "close")));
    }

    [Fact]
    public async Task A_text_only_driver_on_a_raw_bytes_socket_gets_InvalidOperationException()
    {
        var driver = new RecordingDriver { Features = SocketDriverFeatures.TextData };
        await using var server = TcpServer.Listen(driver, port: 0, externalFormatIn: ExternalFormat.Bytes);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[] { 1 });
        await driver.Log.WaitForAsync("error");
        var error = Assert.IsType<InvalidOperationException>(driver.Log.First("error").Error);
        Assert.Contains("takes only text, but the socket's ExternalFormatIn is null", error.Message);
    }

    [Fact]
    public async Task A_driver_without_a_data_handler_ignores_what_it_reads()
    {
        var driver = new RecordingDriver { Features = SocketDriverFeatures.OutputEmpty };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync("ignored"u8.ToArray());
        peer.Shutdown(SocketShutdown.Send);
        await driver.Log.WaitForAsync("eof");
        await server.Loop.Barrier();
        Assert.Equal(0, driver.Log.Count("error"));
        Assert.Equal(0, driver.Log.Count("data") + driver.Log.Count("text"));
    }

    [Fact]
    public async Task A_data_handler_that_returns_a_faulted_task_without_throwing_reaches_the_error_handler()
    {
        var driver = new RecordingDriver { OnData = (_, _) => ValueTask.FromException(new CustomTestException("returned, not thrown")) };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync("x"u8.ToArray());
        await driver.Log.WaitForAsync("error");
        Assert.Equal("returned, not thrown", Assert.IsType<CustomTestException>(driver.Log.First("error").Error).Message);
    }

    [Theory]
    [InlineData("throws")]
    [InlineData("returns a faulted task")]
    public async Task An_end_of_file_handler_that_throws_reaches_the_error_handler_and_the_connection_goes_on(string how)
    {
        var driver = new RecordingDriver
        {
            OnEndOfFile = how == "throws"
                ? _ => throw new CustomTestException("at end of file")
                : _ => ValueTask.FromException(new CustomTestException("at end of file")),
            OnError = (_, _) => ValueTask.FromResult(true),
        };
        // Half-open allowed, so the socket is still open when the handler fails (else the end of file closes it).
        await using var server = TcpServer.Listen(driver, port: 0, options: new TcpServerOptions { AllowHalfOpen = true });
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");
        peer.Shutdown(SocketShutdown.Send);
        await driver.Log.WaitForAsync("error");
        Assert.Equal("at end of file", Assert.IsType<CustomTestException>(driver.Log.First("error").Error).Message);

        socket.Write("still writing"u8); // handled: the half-open connection still sends
        socket.Close();
        var (data, _) = await peer.ReadToEndAsync();
        Assert.Equal("still writing", Encoding.ASCII.GetString(data));
    }

    [Fact]
    public async Task An_async_end_of_file_handler_that_fails_after_an_await_reaches_the_error_handler()
    {
        var driver = new RecordingDriver
        {
            OnEndOfFile = async _ =>
            {
                await Task.Yield();
                throw new CustomTestException("after the await");
            },
        };
        // Half-open allowed, so the socket is still open when the handler fails (else the end of file closes it).
        await using var server = TcpServer.Listen(driver, port: 0, options: new TcpServerOptions { AllowHalfOpen = true });
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        peer.Shutdown(SocketShutdown.Send);
        await driver.Log.WaitForAsync("error");
        Assert.Equal("after the await", Assert.IsType<CustomTestException>(driver.Log.First("error").Error).Message);
    }

    [Theory]
    [InlineData("data")]
    [InlineData("eof")]
    public async Task An_async_handler_that_fails_after_its_socket_closed_is_reported_as_unhandled(string handler)
    {
        // A data handler completes through its own path (it may hold the read buffer), the others through a shared one.
        await using var loop = new TestLoop();
        var late = new LateFailure(loop.Loop);
        var driver = handler == "data"
            ? new RecordingDriver { OnData = (_, _) => late.FailWhenReleased() }
            : new RecordingDriver { OnEndOfFile = _ => late.FailWhenReleased() };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: new TcpServerOptions { AllowHalfOpen = true });
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");
        if (handler == "data")
        {
            await peer.SendAllAsync("x"u8.ToArray());
        }
        else
        {
            peer.Shutdown(SocketShutdown.Send);
        }

        await driver.Log.WaitForAsync(handler);
        await loop.OnLoop(() => socket.Abort());
        late.Release();

        Assert.Same(socket, (await late.ReportedAsync()).Socket);
        Assert.Equal(0, driver.Log.Count("error")); // a closed socket's error handler is not called
    }

    [Fact]
    public async Task A_handled_handler_exception_keeps_the_connection_usable()
    {
        var driver = new RecordingDriver
        {
            OnData = (s, d) =>
            {
                if (d.Span[0] == (byte)'x')
                {
                    throw new CustomTestException("x is bad");
                }

                s.Write(d.Span);
                return default;
            },
            OnError = Handled,
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("x"));
        await driver.Log.WaitForAsync("error");
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("y"));
        Assert.Equal("y", Encoding.ASCII.GetString(await peer.ReadExactlyAsync(1)));
        Assert.Equal(0, driver.Log.Count("close"));
    }

    [Fact]
    public async Task An_async_error_handler_that_returns_true_keeps_the_connection_and_false_drops_it()
    {
        var driver = new RecordingDriver
        {
            OnData = (s, d) =>
            {
                if (d.Span[0] is (byte)'k' or (byte)'d')
                {
                    throw new CustomTestException(((char)d.Span[0]).ToString());
                }

                s.Write(d.Span);
                return default;
            },
            OnError = async (_, e) =>
            {
                await Task.Yield();
                return e.Message == "k";
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync("k"u8.ToArray());
        await driver.Log.WaitForAsync("error");
        await peer.SendAllAsync("e"u8.ToArray());
        Assert.Equal("e", Encoding.ASCII.GetString(await peer.ReadExactlyAsync(1)));

        await peer.SendAllAsync("d"u8.ToArray());
        await driver.Log.WaitForAsync("close");
        Assert.Equal("d", driver.Log.First("close").Error!.Message);
    }

    [Fact]
    public async Task An_unhandled_error_drops_the_connection()
    {
        var driver = new RecordingDriver { OnData = (_, _) => throw new CustomTestException("unhandled") };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[] { 1 });
        await driver.Log.WaitForAsync("close");
        var (data, _) = await peer.ReadToEndAsync();
        Assert.Empty(data);
        Assert.IsType<CustomTestException>(driver.Log.First("close").Error);
        Assert.Equal(0, server.ClientCount);
    }

    [Fact]
    public async Task DropConnection_in_an_error_handler_drops_the_connection_with_the_given_cause()
    {
        var cause = new CustomTestException("the cause");
        var driver = new RecordingDriver
        {
            OnData = (_, _) => throw new InvalidOperationException("bad data"),
            OnError = (_, _) =>
            {
                SocketEvents.DropConnection(cause);
                return new(true);
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[] { 1 });
        await driver.Log.WaitForAsync("close");
        await peer.ReadToEndAsync();
        Assert.IsType<InvalidOperationException>(driver.Log.First("error").Error);
        Assert.Same(cause, driver.Log.First("close").Error);
    }

    [Fact]
    public async Task DropConnection_without_a_cause_reports_the_error_being_handled()
    {
        var driver = new RecordingDriver
        {
            OnData = (_, _) => throw new CustomTestException("bad data"),
            OnError = (_, _) =>
            {
                SocketEvents.DropConnection();
                return new(true);
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[] { 1 });
        await driver.Log.WaitForAsync("close");
        Assert.Same(driver.Log.First("error").Error, driver.Log.First("close").Error);
    }

    [Fact]
    public async Task DropConnection_outside_an_error_handler_throws()
    {
        Assert.Throws<InvalidOperationException>(() => SocketEvents.DropConnection());

        Exception? inDataHandler = null;
        var driver = new RecordingDriver
        {
            OnData = (_, _) =>
            {
                inDataHandler = Record.Exception(() => SocketEvents.DropConnection());
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[] { 1 });
        await driver.Log.WaitForAsync("data");
        await server.Loop.Barrier();
        Assert.IsType<InvalidOperationException>(inDataHandler);
        Assert.Equal(0, driver.Log.Count("close"));
    }

    [Fact]
    public async Task An_error_handler_that_throws_goes_to_UnhandledException_drops_its_connection_and_spares_the_others()
    {
        await using var loop = new TestLoop();
        var unhandled = new EventLog();
        loop.Loop.UnhandledException += (_, e) => unhandled.Add(new Ev("unhandled", e.Socket, e.Server, null, null, e.Exception, Environment.CurrentManagedThreadId));
        var driver = RecordingDriver.EchoWithFailingErrorHandler();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var good = await Peer.ConnectAsync(server.Port!.Value);
        using var bad = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);
        await bad.SendAllAsync(Encoding.ASCII.GetBytes("!"));
        await unhandled.WaitForAsync("unhandled");
        await driver.Log.WaitForAsync("close");

        var report = unhandled.First("unhandled");
        Assert.IsType<ArgumentException>(report.Error);
        Assert.Same(driver.Log.First("close").Socket, report.Socket);
        await bad.ReadToEndAsync();

        await good.SendAllAsync(Encoding.ASCII.GetBytes("ok"));
        Assert.Equal("ok", Encoding.ASCII.GetString(await good.ReadExactlyAsync(2)));
        Assert.Equal(1, server.ClientCount);
        Assert.Equal(1, driver.Log.Count("close"));
    }

    [Fact]
    public async Task A_peer_reset_is_an_error_not_an_end_of_file()
    {
        var driver = new RecordingDriver { OnError = Handled };
        await using var server = TcpServer.Listen(driver, port: 0);
        var peer = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection");
        peer.LingerState = new LingerOption(true, 0);
        peer.Close(); // RST
        await driver.Log.WaitForAsync("close");

        var socket = driver.Log.First("close").Socket!;
        Assert.Equal(new[] { "connection", "error", "close" }, driver.Log.KindsOf(socket));
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [Fact]
    public async Task A_server_error_runs_before_every_client_closes_and_the_server_close_comes_last()
    {
        int connections = 0;
        var driver = new RecordingDriver
        {
            OnConnection = (_, _) =>
            {
                if (++connections == 3)
                {
                    throw new CustomTestException("third client");
                }

                return default;
            },
        };
        var server = TcpServer.Listen(driver, port: 0);
        using var p1 = await Peer.ConnectAsync(server.Port!.Value);
        using var p2 = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);
        using var p3 = await Peer.ConnectAsync(server.Port!.Value);
        await server.Closed.WithTimeout("the server to close after its error");

        var kinds = driver.Log.Events.Select(e => e.Kind).ToArray();
        Assert.Equal(new[] { "listen", "connection", "connection", "connection", "serverError", "close", "close", "close", "serverClose" }, kinds);
        var error = driver.Log.First("serverError").Error;
        Assert.IsType<CustomTestException>(error);
        Assert.All(driver.Log.Events.Where(e => e.Kind == "close"), e => Assert.Same(error, e.Error));
        Assert.Equal(0, server.ClientCount);
        foreach (var peer in new[] { p1, p2, p3 })
        {
            await peer.ReadToEndAsync();
        }
    }
}
