using System;
using System.IO;
using System.Text;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>
/// When nothing can take an exception — an error handler threw, no one subscribed to
/// <see cref="EventLoop.UnhandledException"/>, and even standard error fails (as it does in a process that has
/// run out of file descriptors) — the loop still goes on. Replaces Console.Error, so it runs alone.
/// </summary>
[Collection(DescriptorCountingCollection.Name)]
public sealed class LastResortReportingTests
{
    [Fact]
    public async Task A_failing_standard_error_never_stops_the_loop_or_other_connections()
    {
        var original = Console.Error;
        Console.SetError(new FailingWriter());
        try
        {
            await using var loop = new TestLoop();
            var driver = RecordingDriver.EchoWithFailingErrorHandler();
            await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
            using var good = await Peer.ConnectAsync(server.Port!.Value);
            using var bad = await Peer.ConnectAsync(server.Port!.Value);
            await driver.Log.WaitForAsync("connection", 2);

            await bad.SendAllAsync("!"u8.ToArray());
            await driver.Log.WaitForAsync("close");
            await bad.ReadToEndAsync();

            await good.SendAllAsync("ok"u8.ToArray());
            Assert.Equal("ok", Encoding.ASCII.GetString(await good.ReadExactlyAsync(2)));
            Assert.Equal(1, server.ClientCount);
        }
        finally
        {
            Console.SetError(original);
        }
    }

    [Fact]
    public async Task Without_a_subscriber_or_a_logger_what_no_handler_took_goes_to_standard_error_saying_where()
    {
        var original = Console.Error;
        var captured = new StringWriter();
        Console.SetError(TextWriter.Synchronized(captured));
        string serverName = "";
        try
        {
            await using var loop = new TestLoop();
            var driver = RecordingDriver.EchoWithFailingErrorHandler();
            await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
            using var bad = await Peer.ConnectAsync(server.Port!.Value);
            await driver.Log.WaitForAsync("connection");
            await bad.SendAllAsync("!"u8.ToArray());
            await driver.Log.WaitForAsync("close");

            var closing = TcpServer.Listen(new RecordingDriver { OnServerClosed = _ => throw new InvalidOperationException("the close handler failed") }, port: 0, loop: loop.Loop);
            serverName = closing.ToString();
            await closing.DisposeAsync().WithTimeout("the server to close");

            loop.Loop.Post(() => throw new InvalidOperationException("posted work failed"));
            await loop.Loop.Barrier();

            // A subscriber that throws is reported there too, and the loop goes on.
            loop.Loop.UnhandledException += (_, _) => throw new FormatException("the subscriber failed");
            loop.Loop.Post(() => throw new InvalidOperationException("reported to the subscriber"));
            await loop.Loop.Barrier();
        }
        finally
        {
            Console.SetError(original);
        }

        string text = captured.ToString();
        Assert.Contains("Conserv: an exception no handler took (TcpSocket(", text);
        Assert.Contains("System.ArgumentException: the error handler failed", text);
        Assert.Contains($"Conserv: an exception no handler took ({serverName}): System.InvalidOperationException: the close handler failed", text);
        Assert.Contains("Conserv: an exception no handler took: System.InvalidOperationException: posted work failed", text);
        Assert.Contains("Conserv: UnhandledException subscriber threw: System.FormatException: the subscriber failed", text);
        Assert.DoesNotContain("reported to the subscriber", text);
        Assert.DoesNotContain("NullReferenceException", text); // nothing after a report: no subscriber was called
    }

    private sealed class FailingWriter : StringWriter
    {
        public override void WriteLine(string? value) => throw new IOException("Too many open files");

        public override void Write(string? value) => throw new IOException("Too many open files");
    }
}
