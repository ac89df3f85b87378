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

    private sealed class FailingWriter : StringWriter
    {
        public override void WriteLine(string? value) => throw new IOException("Too many open files");

        public override void Write(string? value) => throw new IOException("Too many open files");
    }
}
