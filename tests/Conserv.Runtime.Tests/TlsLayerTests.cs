using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Interop;
using Conserv.Testing;

namespace Conserv.Runtime.Tests;

/// <summary>
/// The TLS layer between a socket and its transport, over the in-memory network: records that arrive in pieces,
/// faults under a record, pausing with decrypted bytes held, sends the peer's window cannot take, close_notify, and
/// the loop's synchronization context around the SslStream. The peer is a real <see cref="SslStream"/> whose
/// ciphertext the test can hold back and deliver a piece at a time.
/// </summary>
public class TlsLayerTests
{
    private static readonly TimeSpan Bound = EventLog.DefaultTimeout;

    [Fact]
    public async Task A_record_that_arrives_in_two_pieces_is_delivered_once_whole_and_a_spurious_readiness_between_them_changes_nothing()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var (peer, ssl, wire) = await ConnectClientAsync(network, driver);
        using var _ = ssl;

        var record = await wire.CaptureAsync(() => ssl.WriteAsync("a record of its own"u8.ToArray()).AsTask());
        peer.Send(record.AsSpan(0, 10)); // the header and a few bytes: the SslStream's read waits for the rest
        await network.SettleAsync();
        Assert.Equal(0, driver.Log.Count("data"));

        peer.FailNextReceiveWithErrno(Libc.EAGAIN); // readiness with nothing behind it, as after a spurious wake-up
        await network.SettleAsync();
        Assert.Equal(0, driver.Log.Count("data"));
        Assert.Equal(0, driver.Log.Count("error"));

        peer.Send(record.AsSpan(10));
        await network.SettleAsync();
        Assert.Equal("a record of its own"u8.ToArray(), driver.Log.BytesOf(peer.Socket));
        Assert.Equal(0, driver.Log.Count("error"));
        Assert.False(peer.Socket.IsClosed);
    }

    [Fact]
    public async Task A_peer_that_ends_with_close_notify_gives_the_driver_its_data_then_the_end_of_the_stream_and_a_clean_close()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var (peer, ssl, _) = await ConnectClientAsync(network, driver);
        using var __ = ssl;

        await ssl.WriteAsync("last words"u8.ToArray());
        await ssl.ShutdownAsync(); // close_notify
        peer.ShutdownWrite();
        await network.SettleAsync();

        Assert.Equal("last words"u8.ToArray(), driver.Log.BytesOf(peer.Socket));
        Assert.Equal(new[] { "connect", "data", "eof", "close" }, driver.Log.KindsOf(peer.Socket));
        Assert.Null(driver.Log.First("close").Error);
    }

    [Fact]
    public async Task Data_that_arrives_with_the_handshakes_last_flight_is_delivered_after_the_connect_event()
    {
        // The client's last handshake flight and its first record arrive together: the SslStream holds the record
        // when the handshake completes, and nothing more will come from the network to announce it.
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var peer = await network.AcceptAsync(driver, tls: TestCertificates.ServerOptions());
        var wire = new Wire(peer.AsStream());
        using var ssl = new SslStream(wire);
        var options = TestCertificates.ClientOptions();
        options.EnabledSslProtocols = SslProtocols.Tls13; // the client is done once its last flight is written
        wire.CaptureAfter(writes: 1); // the ClientHello goes through; the rest is held
        await ssl.AuthenticateAsClientAsync(options).WaitAsync(Bound);
        await ssl.WriteAsync("early"u8.ToArray());
        await network.SettleAsync();
        Assert.True(peer.Socket.IsHandshaking);

        peer.Send(wire.TakeCaptured());
        await network.SettleAsync();

        Assert.Equal("early"u8.ToArray(), driver.Log.BytesOf(peer.Socket));
        Assert.Equal(new[] { "connect", "data" }, driver.Log.KindsOf(peer.Socket).Where(k => k != "outputEmpty"));
    }

    [Fact]
    public async Task A_half_open_TLS_socket_answers_after_the_peers_close_notify_and_then_closes_cleanly()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver
        {
            OnEndOfFile = s =>
            {
                s.Write("goodbye"u8); // the peer ended its side; this side still writes, encrypted
                s.Close();
                return default;
            },
        };
        var peer = await network.AcceptAsync(driver, new TcpSocketOptions { AllowHalfOpen = true }, tls: TestCertificates.ServerOptions());
        using var ssl = new SslStream(peer.AsStream());
        await ssl.AuthenticateAsClientAsync(TestCertificates.ClientOptions()).WaitAsync(Bound);
        await ssl.ShutdownAsync(); // close_notify
        peer.ShutdownWrite();

        var received = new MemoryStream();
        await ssl.CopyToAsync(received).WaitAsync(Bound);
        Assert.Equal("goodbye"u8.ToArray(), received.ToArray());
        await network.SettleAsync();
        Assert.Equal(new[] { "connect", "eof", "close" }, driver.Log.KindsOf(peer.Socket).Where(k => k != "outputEmpty"));
        Assert.Null(driver.Log.First("close").Error);
    }

    [Fact]
    public async Task A_record_that_fails_to_decrypt_is_the_error_reported_even_when_the_send_of_the_alert_fails_too()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var (peer, ssl, _) = await ConnectClientAsync(network, driver);
        using var __ = ssl;

        // A record header that claims application data, then bytes that are not a valid record; the socket's next
        // send (an alert, if the SslStream answers) fails.
        peer.FailNextSend(SocketError.ConnectionReset);
        peer.Send(new byte[] { 23, 3, 3, 0, 40 }.Concat(Peer.Pattern(40, seed: 9)).ToArray());
        await network.SettleAsync();

        Assert.True(peer.Socket.IsClosed);
        Assert.IsType<IOException>(driver.Log.First("error").Error);
        Assert.Equal(0, driver.Log.Count("data"));
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task A_client_refused_for_want_of_a_certificate_is_reported_as_such_even_when_the_alert_cannot_be_sent(SslProtocols protocol)
    {
        // The server's handshake fails on the client's last flight and writes an alert; sending it fails too. The
        // refusal is what the driver hears of, not the failed send that followed from it.
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var tls = TestCertificates.ServerOptions();
        tls.ClientCertificateRequired = true;
        var peer = await network.AcceptAsync(driver, tls: tls);
        var wire = new Wire(peer.AsStream());
        using var ssl = new SslStream(wire);
        var options = TestCertificates.ClientOptions();
        options.EnabledSslProtocols = protocol;
        wire.CaptureAfter(writes: 1); // the ClientHello goes through; the client's last flight is held
        var handshake = ssl.AuthenticateAsClientAsync(options);
        await wire.FirstCapturedWrite.WaitAsync(Bound); // the server's flight reached the client, which answered
        await network.SettleAsync();
        peer.FailNextSend(SocketError.ConnectionReset);
        peer.Send(wire.TakeCaptured());
        await network.SettleAsync();

        Assert.True(peer.Socket.IsClosed);
        Assert.IsType<AuthenticationException>(driver.Log.First("error").Error);
        Assert.Equal(1, driver.Log.Count("error"));
        Assert.Equal(0, driver.Log.Count("connect"));
        // A TLS 1.2 client waits for the server's last flight, and hears the end of the stream instead; a TLS 1.3
        // client was done once it had written its own.
        var clientFailure = await Record.ExceptionAsync(() => handshake.WaitAsync(Bound));
        Assert.Equal(protocol == SslProtocols.Tls12, clientFailure is IOException);
    }

    [Fact]
    public async Task The_end_of_the_stream_while_a_record_is_half_read_is_an_IOException_not_data()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var (peer, ssl, wire) = await ConnectClientAsync(network, driver);
        using var _ = ssl;

        var record = await wire.CaptureAsync(() => ssl.WriteAsync(new byte[100]).AsTask());
        peer.Send(record.AsSpan(0, 30));
        await network.SettleAsync();
        peer.ShutdownWrite();
        await network.SettleAsync();

        Assert.True(peer.Socket.IsClosed);
        Assert.IsType<IOException>(driver.Log.First("error").Error);
        Assert.Equal(0, driver.Log.Count("data"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_receive_fault_under_TLS_reaches_the_error_handler_as_the_connections_own_error(bool midRecord)
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var (peer, ssl, wire) = await ConnectClientAsync(network, driver);
        using var _ = ssl;

        var record = await wire.CaptureAsync(() => ssl.WriteAsync(new byte[100]).AsTask());
        if (midRecord)
        {
            peer.Send(record.AsSpan(0, 30)); // the SslStream's read of the rest is pending when the fault comes
            await network.SettleAsync();
            peer.FailNextReceive(SocketError.ConnectionReset);
            peer.Send(record.AsSpan(30));
        }
        else
        {
            peer.FailNextReceive(SocketError.ConnectionReset); // the read after the wake-up read fails
            peer.Send(record);
        }

        await network.SettleAsync();
        Assert.True(peer.Socket.IsClosed);
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.Equal("recv: Connection reset by peer (ECONNRESET)", error.Message);
        Assert.Equal(0, driver.Log.Count("data"));
    }

    [Fact]
    public async Task A_send_fault_under_TLS_reaches_the_error_handler_at_once_named_after_send()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write("answer"u8);
                return default;
            },
        };
        var (peer, ssl, _) = await ConnectClientAsync(network, driver);
        using var __ = ssl;
        peer.ReceiveAvailable(); // what followed the handshake (session tickets): from here on, only what the driver writes

        peer.FailNextSend(SocketError.ConnectionReset);
        await ssl.WriteAsync("ask"u8.ToArray());
        await network.SettleAsync();

        Assert.True(peer.Socket.IsClosed);
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.Contains("send", error.Message);
        Assert.Empty(peer.ReceiveAvailable()); // the record that could not leave is dropped, not sent after the fault
    }

    [Fact]
    public async Task A_burst_of_records_already_in_the_network_is_read_to_its_end_and_what_follows_is_read_too()
    {
        // Everything is in the network at once: after the first readiness, the records already decrypted are all the
        // socket has to go on (the in-memory network, like epoll, reports nothing new), so the TLS layer must bring them.
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var (peer, ssl, _) = await ConnectClientAsync(network, driver);
        using var __ = ssl;

        var burst = Peer.Pattern(300_000, seed: 29);
        await ssl.WriteAsync(burst);
        await network.SettleAsync();
        Assert.Equal(burst, driver.Log.BytesOf(peer.Socket));

        await ssl.WriteAsync("and then"u8.ToArray()); // the SslStream's next read was asked for: readiness reaches it
        await network.SettleAsync();
        Assert.Equal(burst.Concat("and then"u8.ToArray()).ToArray(), driver.Log.BytesOf(peer.Socket));
    }

    [Fact]
    public async Task Small_records_that_arrive_together_are_read_many_to_a_read_and_all_of_them_are_delivered()
    {
        // 2,000 records of 10 bytes in one arrival: the SslStream holds many of them at once, so one read of the
        // socket takes the plaintext of as many as fit, and what is decrypted beyond that is delivered without any
        // new readiness from the network.
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var (peer, ssl, wire) = await ConnectClientAsync(network, driver);
        using var __ = ssl;

        var sent = Peer.Pattern(20_000, seed: 30);
        var records = await wire.CaptureRecordsAsync(ssl, sent, recordSize: 10);
        peer.Send(records);
        await network.SettleAsync();

        Assert.Equal(sent, driver.Log.BytesOf(peer.Socket));
        Assert.InRange(driver.Log.Count("data"), 2, 200);
    }

    [Fact]
    public async Task Reads_that_end_exactly_where_the_decrypted_plaintext_does_go_on_to_the_records_already_in_the_network()
    {
        // Records of 256 bytes, all in the network at once, and reads of 256 bytes: the SslStream fills the layer's
        // 16.5 KiB plaintext buffer with 66 whole records and still holds whole records after them. Each time the
        // socket empties that buffer its read ends exactly there, full, and the next record is decrypted at once when
        // asked for: nothing more will arrive from the network to announce it, so the layer must take it then.
        await using var network = new TestNetwork(new TestNetworkOptions { ReadBufferSize = 256 });
        var driver = new RecordingDriver();
        var (peer, ssl, wire) = await ConnectClientAsync(network, driver);
        using var __ = ssl;

        var sent = Peer.Pattern(4 * 16 * 1024, seed: 31);
        var records = await wire.CaptureRecordsAsync(ssl, sent, recordSize: 256);
        peer.Send(records);
        await network.SettleAsync();

        Assert.Equal(sent, driver.Log.BytesOf(peer.Socket));
        Assert.Equal(sent.Length / 256, driver.Log.Count("data")); // every read took 256 bytes
    }

    [Fact]
    public async Task A_paused_TLS_socket_holds_what_is_already_decrypted_and_delivers_it_in_order_once_resumed()
    {
        await using var network = new TestNetwork();
        var driver = PausingAfterEachRead(); // after the first piece: the rest stays in the TLS layer and the network
        var (peer, ssl, wire) = await ConnectClientAsync(network, driver);
        using var __ = ssl;

        // Small records, all in the network at once: the SslStream decrypts more than one read of the socket takes,
        // so the TLS layer holds decrypted bytes while the socket is paused (and the network has nothing new to say).
        var sent = Peer.Pattern(100_000, seed: 21);
        var records = await wire.CaptureRecordsAsync(ssl, sent, recordSize: 100);
        peer.Send(records);
        await network.SettleAsync();
        Assert.Equal(1, driver.Log.Count("data"));
        Assert.True(driver.Log.BytesOf(peer.Socket).Length < sent.Length);

        for (int round = 0; round < 100 && driver.Log.BytesOf(peer.Socket).Length < sent.Length; round++)
        {
            int before = driver.Log.Count("data");
            peer.Socket.Resume();
            await network.SettleAsync();
            Assert.Equal(before + 1, driver.Log.Count("data")); // one read per resume: paused again at once
        }

        Assert.Equal(sent, driver.Log.BytesOf(peer.Socket));
        Assert.Equal(0, driver.Log.Count("error"));
    }

    [Fact]
    public async Task A_reset_while_a_TLS_socket_is_paused_with_decrypted_bytes_held_is_reported_at_once()
    {
        await using var network = new TestNetwork();
        var driver = PausingAfterEachRead();
        var (peer, ssl, wire) = await ConnectClientAsync(network, driver);
        using var __ = ssl;

        // Small records in two pieces: the SslStream's read waits for the rest of the first record, which then comes
        // with all the others; it decrypts more than the socket's first read takes, so the TLS layer holds bytes and
        // has no read of its own outstanding when the reset comes.
        var sent = Peer.Pattern(50_000, seed: 22);
        var records = await wire.CaptureRecordsAsync(ssl, sent, recordSize: 100);
        peer.Send(records.AsSpan(0, 10));
        await network.SettleAsync();
        peer.Send(records.AsSpan(10));
        await network.SettleAsync();
        Assert.Equal(1, driver.Log.Count("data"));

        peer.Reset();
        await network.SettleAsync();
        Assert.True(peer.Socket.IsClosed);
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [Fact]
    public async Task Close_ends_a_TLS_stream_with_a_close_notify_alert_after_the_last_data_record()
    {
        await using var network = new TestNetwork();
        var reply = Peer.Pattern(40_000, seed: 23);
        SslStream? serverStream = null;
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                serverStream = s.TlsStream;
                s.Write(reply);
                s.Close();
                return default;
            },
        };
        // TLS 1.2: an alert record keeps its own content type on the wire (TLS 1.3 disguises it as data).
        var (peer, ssl, wire) = await ConnectClientAsync(network, driver, SslProtocols.Tls12);
        using var _ = ssl;
        wire.RecordReads = true;

        await ssl.WriteAsync("go"u8.ToArray());
        var received = new MemoryStream();
        await ssl.CopyToAsync(received).WaitAsync(Bound);
        Assert.Equal(reply, received.ToArray());

        Assert.Throws<ObjectDisposedException>(() => serverStream!.Write(new byte[1])); // the close released the server's SslStream
        var types = RecordTypes(wire.BytesRead);
        Assert.Equal(ContentTypeAlert, types[^1]);
        Assert.All(types[..^1], t => Assert.Equal(ContentTypeApplicationData, t));
        await peer.Closed.WaitAsync(Bound);
        Assert.Null(driver.Log.First("close").Error);
    }

    [Fact]
    public async Task Every_event_over_TLS_runs_with_the_loops_synchronization_context()
    {
        await using var network = new TestNetwork();
        var loopContext = await network.Loop.OnLoopAsync(() => SynchronizationContext.Current);
        Assert.NotNull(loopContext);
        var seen = new List<(string Where, SynchronizationContext? Context)>();
        var driver = new RecordingDriver
        {
            OnConnect = s =>
            {
                seen.Add(("connect", SynchronizationContext.Current));
                return default;
            },
            OnData = (s, d) =>
            {
                seen.Add(("data", SynchronizationContext.Current));
                if (d.Span.SequenceEqual("STARTTLS"u8))
                {
                    s.StartTls(TestCertificates.ServerOptions());
                    seen.Add(("after StartTls", SynchronizationContext.Current));
                    return default;
                }

                s.Write(d.Span);
                seen.Add(("after a write", SynchronizationContext.Current));
                if (d.Span.SequenceEqual("bye"u8))
                {
                    s.Close();
                    seen.Add(("after Close", SynchronizationContext.Current));
                }

                return default;
            },
            OnClose = (_, _) => seen.Add(("close", SynchronizationContext.Current)),
        };

        // A plain connection upgraded in place, then an echo over TLS, then a close that sends close_notify.
        var peer = await network.AcceptAsync(driver);
        peer.Send("STARTTLS");
        await network.SettleAsync();
        using var ssl = new SslStream(peer.AsStream());
        await ssl.AuthenticateAsClientAsync(TestCertificates.ClientOptions()).WaitAsync(Bound);
        await ssl.WriteAsync("hello"u8.ToArray());
        var echoed = new byte[5];
        await ssl.ReadExactlyAsync(echoed).AsTask().WaitAsync(Bound);
        await ssl.WriteAsync("bye"u8.ToArray());
        await peer.Closed.WaitAsync(Bound);
        await network.SettleAsync();

        Assert.Equal(
            new[] { "data", "after StartTls", "connect", "data", "after a write", "data", "after a write", "after Close", "close" },
            seen.Select(s => s.Where));
        Assert.All(seen, s => Assert.Same(loopContext, s.Context));
    }

    [Fact]
    public async Task A_write_taken_whole_whose_ciphertext_the_window_cannot_hold_leaves_as_the_peer_reads()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 20_000 });
        var reply = Peer.Pattern(30_000, seed: 24);
        var driver = new RecordingDriver
        {
            Features = SocketDriverFeatures.ByteData, // no output-empty: nothing but the TLS layer waits for the ciphertext to leave
            OnData = (s, _) =>
            {
                s.Write(reply); // under 64 KiB: encrypted at once, two thirds of it left in the TLS layer
                return default;
            },
        };
        var (peer, ssl, _) = await ConnectClientAsync(network, driver);
        using var __ = ssl;
        peer.StopReading();
        await ssl.WriteAsync("go"u8.ToArray());
        await network.SettleAsync();
        Assert.Equal(0, peer.Socket.BytesQueued);

        await ResumeReadingAndExpectAsync(peer, ssl, reply);
    }

    [Fact]
    public async Task A_second_write_while_ciphertext_waits_is_queued_in_the_socket_and_nothing_is_lost()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 20_000 });
        var first = Peer.Pattern(60_000, seed: 25);
        var second = Peer.Pattern(60_000, seed: 26);
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write(first); // encrypted whole; the window takes a third of its ciphertext
                s.Write(second); // the TLS layer takes no more while that waits: the socket queues it
                return default;
            },
        };
        var (peer, ssl, _) = await ConnectClientAsync(network, driver);
        using var __ = ssl;
        peer.StopReading();
        await ssl.WriteAsync("go"u8.ToArray());
        await network.SettleAsync();
        Assert.Equal(second.Length, peer.Socket.BytesQueued);

        await ResumeReadingAndExpectAsync(peer, ssl, first.Concat(second).ToArray());
    }

    [Fact]
    public async Task One_send_encrypts_at_most_64_KiB_of_plaintext_across_the_queued_writes()
    {
        // The writes queue while the handshake runs; the first send after it gathers them all. The window takes
        // the handshake and a little more, so what one send took is what left the socket's queue.
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 8_000 });
        var first = Peer.Pattern(10_000, seed: 27);
        var second = Peer.Pattern(100_000, seed: 28);
        var driver = new RecordingDriver
        {
            OnData = (s, d) =>
            {
                s.StartTls(TestCertificates.ServerOptions());
                s.Write(first);
                s.Write(second);
                return default;
            },
        };
        var peer = await network.AcceptAsync(driver);
        peer.StopReading();
        peer.Send("STARTTLS");
        await network.SettleAsync();
        Assert.Equal(first.Length + second.Length, peer.Socket.BytesQueued);

        using var ssl = new SslStream(peer.AsStream());
        await ssl.AuthenticateAsClientAsync(TestCertificates.ClientOptions()).WaitAsync(Bound);
        await network.SettleAsync();
        Assert.Equal(first.Length + second.Length - TlsTransport.MaxPlaintextPerSend, peer.Socket.BytesQueued);

        await ResumeReadingAndExpectAsync(peer, ssl, first.Concat(second).ToArray());
    }

    [Fact]
    public async Task StartTls_refuses_to_start_while_the_plaintext_written_before_it_cannot_leave_and_says_how_much_waits()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 10 });
        Exception? refused = null;
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write("220 go ahead, and more than the window holds\r\n"u8); // 10 bytes leave, 36 wait
                refused = Assert.Throws<InvalidOperationException>(() => s.StartTls(TestCertificates.ServerOptions()));
                return default;
            },
        };
        var peer = await network.AcceptAsync(driver);
        peer.StopReading();
        peer.Send("STARTTLS\r\n");
        await network.SettleAsync();

        Assert.Equal("StartTls could not send the 36 plaintext byte(s) written before it: the peer is not reading.", refused!.Message);
        Assert.False(peer.Socket.IsHandshaking);
        Assert.Null(peer.Socket.Tls);
        peer.ResumeReading();
        Assert.Equal("220 go ahead, and more than the window holds", await peer.ReceiveLineAsync()); // still plaintext
    }

    [Fact]
    public async Task StartTls_sends_a_go_ahead_that_waited_for_writability_once_the_peer_has_read_even_before_that_event_ran()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 10 });
        TestPeer? peer = null;
        var driver = new RecordingDriver
        {
            OnData = (s, d) =>
            {
                if (d.Span.SequenceEqual("STARTTLS\r\n"u8))
                {
                    peer!.ResumeReading(); // the window opens; the socket hears of it only on a later turn
                    s.StartTls(TestCertificates.ServerOptions());
                    return default;
                }

                s.Write("220 go ahead, and more than the window holds\r\n"u8); // waits for writability
                return default;
            },
        };
        peer = await network.AcceptAsync(driver);
        peer.StopReading();
        peer.Send("EHLO\r\n");
        await network.SettleAsync();
        Assert.Equal(36, peer.Socket.BytesQueued);

        peer.Send("STARTTLS\r\n");
        await network.SettleAsync();
        Assert.Equal(0, driver.Log.Count("error"));
        Assert.True(peer.Socket.IsHandshaking);
        Assert.Equal("220 go ahead, and more than the window holds", await peer.ReceiveLineAsync());
    }

    [Fact]
    public async Task A_handshake_flight_larger_than_the_peers_window_leaves_as_the_window_opens()
    {
        // The window takes 300 bytes of the server's first flight (its certificate alone is larger): the rest waits
        // in the TLS layer, which must ask for writability to send it once the peer reads.
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 300 });
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.StartTls(TestCertificates.ServerOptions());
                return default;
            },
        };
        var peer = await network.AcceptAsync(driver);
        peer.StopReading();
        peer.Send("STARTTLS");
        await network.SettleAsync();

        using var ssl = new SslStream(peer.AsStream());
        var handshake = ssl.AuthenticateAsClientAsync(TestCertificates.ClientOptions());
        await network.SettleAsync();
        Assert.False(handshake.IsCompleted);
        Assert.True(peer.Socket.IsHandshaking);

        peer.ResumeReading();
        await handshake.WaitAsync(Bound);
        await network.SettleAsync();
        Assert.NotNull(peer.Socket.Tls);
        Assert.Equal(1, driver.Log.Count("connect"));
    }

    [Fact]
    public async Task Options_the_SslStream_refuses_before_any_byte_moves_end_the_connection_through_error_dispatch()
    {
        // A certificate and a selection callback both given: the SslStream refuses them when the handshake starts.
        // The driver handles the error, but a connection that cannot start its handshake is dropped all the same.
        await using var network = new TestNetwork();
        var driver = new RecordingDriver { OnError = (_, _) => new ValueTask<bool>(true) };
        var conflicting = TestCertificates.ServerOptions();
        conflicting.ServerCertificateSelectionCallback = (_, _) => TestCertificates.Server;
        var peer = await network.AcceptAsync(driver, tls: conflicting);
        await network.SettleAsync();

        Assert.True(peer.Socket.IsClosed);
        Assert.IsType<InvalidOperationException>(driver.Log.First("error").Error);
        Assert.Contains(nameof(SslServerAuthenticationOptions.ServerCertificateSelectionCallback), driver.Log.First("error").Error!.Message);
        Assert.Equal(0, driver.Log.Count("connect"));
    }

    private const byte ContentTypeAlert = 21;
    private const byte ContentTypeHandshake = 22;
    private const byte ContentTypeChangeCipherSpec = 20;
    private const byte ContentTypeApplicationData = 23;

    /// <summary>The peer reads again, and what its SslStream reads must be exactly <paramref name="expected"/>.</summary>
    private static async Task ResumeReadingAndExpectAsync(TestPeer peer, SslStream ssl, byte[] expected)
    {
        peer.ResumeReading();
        var received = new byte[expected.Length];
        await ssl.ReadExactlyAsync(received).AsTask().WaitAsync(Bound);
        Assert.Equal(expected, received);
    }

    /// <summary>A driver that pauses its socket in each data event: one read per resume.</summary>
    private static RecordingDriver PausingAfterEachRead() => new()
    {
        OnData = (s, _) =>
        {
            s.Pause();
            return default;
        },
    };

    /// <summary>The content types of the records in <paramref name="bytes"/>, each record's header giving its length.</summary>
    private static byte[] RecordTypes(byte[] bytes)
    {
        var types = new List<byte>();
        for (int at = 0; at + 5 <= bytes.Length; at += 5 + (bytes[at + 3] << 8 | bytes[at + 4]))
        {
            types.Add(bytes[at]);
        }

        return types.Where(t => t is not (ContentTypeHandshake or ContentTypeChangeCipherSpec)).ToArray();
    }

    /// <summary>A TLS connection to <paramref name="driver"/> from an SslStream client over <paramref name="wire"/>, handshake done.</summary>
    private static async Task<(TestPeer Peer, SslStream Ssl, Wire Wire)> ConnectClientAsync(TestNetwork network, RecordingDriver driver,
        SslProtocols protocols = SslProtocols.None)
    {
        var peer = await network.AcceptAsync(driver, tls: TestCertificates.ServerOptions());
        var wire = new Wire(peer.AsStream());
        var ssl = new SslStream(wire);
        var options = TestCertificates.ClientOptions();
        options.EnabledSslProtocols = protocols;
        await ssl.AuthenticateAsClientAsync(options).WaitAsync(Bound);
        await network.SettleAsync();
        return (peer, ssl, wire);
    }

    /// <summary>
    /// The peer's stream, seen by its SslStream: what the SslStream writes can be captured instead of sent (so the
    /// test delivers a record in pieces), and what it reads can be kept (so the test sees the records on the wire).
    /// </summary>
    private sealed class Wire(Stream inner) : Stream
    {
        private readonly MemoryStream _read = new();
        private MemoryStream? _capture;
        private int _writesBeforeCapture = -1;
        private readonly TaskCompletionSource _firstCapturedWrite = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool RecordReads { get; set; }

        /// <summary>Lets the next <paramref name="writes"/> writes through, then captures the rest until <see cref="TakeCaptured"/>.</summary>
        public void CaptureAfter(int writes) => _writesBeforeCapture = writes;

        /// <summary>What was captured since <see cref="CaptureAfter"/>; writes go through again.</summary>
        public byte[] TakeCaptured()
        {
            var captured = _capture?.ToArray() ?? [];
            _capture = null;
            return captured;
        }

        public byte[] BytesRead => _read.ToArray();

        /// <summary>Completes when the first write after <see cref="CaptureAfter"/>'s count has been captured.</summary>
        public Task FirstCapturedWrite => _firstCapturedWrite.Task;

        /// <summary>Runs <paramref name="write"/> with the SslStream's output captured, and returns that output.</summary>
        public async Task<byte[]> CaptureAsync(Func<Task> write)
        {
            _capture = new MemoryStream();
            try
            {
                await write().WaitAsync(Bound);
                return _capture.ToArray();
            }
            finally
            {
                _capture = null;
            }
        }

        /// <summary>What <paramref name="ssl"/> writes for <paramref name="data"/> written <paramref name="recordSize"/> bytes at a time: one record each.</summary>
        public Task<byte[]> CaptureRecordsAsync(SslStream ssl, byte[] data, int recordSize) => CaptureAsync(async () =>
        {
            for (int at = 0; at < data.Length; at += recordSize)
            {
                await ssl.WriteAsync(data.AsMemory(at, Math.Min(recordSize, data.Length - at)));
            }
        });

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int count = await inner.ReadAsync(buffer, cancellationToken);
            if (RecordReads)
            {
                _read.Write(buffer.Span[..count]);
            }

            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_writesBeforeCapture == 0)
            {
                _capture = new MemoryStream();
                _writesBeforeCapture = -1;
            }

            if (_capture is { } capture)
            {
                capture.Write(buffer.Span);
                _firstCapturedWrite.TrySetResult();
                return default;
            }

            if (_writesBeforeCapture > 0)
            {
                _writesBeforeCapture--;
            }

            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
