using System;
using System.IO;
using System.Threading.Tasks;
using Conserv.Samples.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Samples.Tests;

/// <summary>
/// The Echo sample published with Native AOT, with zero trim or AOT warnings, passes the echo end-to-end checks as a
/// native program. The slowest test of this project: the publish takes about a minute on the 2-core machine (once;
/// later runs reuse it while the sources are unchanged), bounded by <see cref="NativeSample.PublishTimeout"/>.
/// </summary>
public sealed class NativeAotEchoTests(ITestOutputHelper log)
{
    [Fact]
    public async Task The_native_echo_serves_tcp_and_a_unix_socket_byte_for_byte_and_stops_cleanly_on_SIGTERM()
    {
        string program = await NativeSample.PublishAsync("Echo", log);
        string path = Net.UnixPath("aot-echo");
        await using var echo = await SampleProcess.StartServerAsync("Echo", log, new SampleLaunch { Program = program }, "--port", "0", "--unix", path);

        var overTcp = await Tool.RunAsync("socat", "hello, native\n", "-t", "30", "-", $"TCP:127.0.0.1:{echo.Port}");
        Assert.Equal("hello, native\n", overTcp.Text);
        var overUnix = await Tool.RunAsync("socat", "über unix ✓\n", "-t", "30", "-", $"UNIX-CONNECT:{path}");
        Assert.Equal("über unix ✓\n", overUnix.Text);

        var data = new byte[1024 * 1024 + 17];
        new Random(42).NextBytes(data);
        var bulk = await Tool.RunAsync("nc", ["-N", "127.0.0.1", echo.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], data);
        Assert.Equal(0, bulk.ExitCode);
        Assert.True(data.AsSpan().SequenceEqual(bulk.Stdout), "the echoed bytes differ from the bytes sent");

        echo.Signal(SampleProcess.Signals.SIGTERM);

        Assert.Equal(0, await echo.WaitForExitAsync());
        Assert.Contains("server TcpServer(", echo.Output, StringComparison.Ordinal); // the [OnServerClose] handler ran
        Assert.Contains("stopped", echo.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(path), "the server removes its Unix socket file when it closes");
    }
}
