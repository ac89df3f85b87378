using System.Collections.Generic;
using System;
using System.IO;
using System.Threading.Tasks;
using Conserv.Samples.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Samples.Tests;

/// <summary>The Echo sample, talked to with socat and nc.</summary>
public sealed class EchoTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Socat_gets_its_line_back_over_tcp()
    {
        await using var echo = await SampleProcess.StartServerAsync("Echo", log);

        var result = await Tool.RunAsync("socat", "hello, conserv\n", "-t", "30", "-", $"TCP:127.0.0.1:{echo.Port}");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("hello, conserv\n", result.Text);
    }

    [Fact]
    public async Task Socat_gets_its_line_back_over_a_unix_socket()
    {
        string path = Net.UnixPath("echo");
        await using var echo = await SampleProcess.StartServerAsync("Echo", log, "--unix", path);

        var result = await Tool.RunAsync("socat", "über unix ✓\n", "-t", "30", "-", $"UNIX-CONNECT:{path}");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("über unix ✓\n", result.Text);
        Assert.DoesNotContain("listening on 127.0.0.1", echo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nc_gets_a_megabyte_of_binary_data_back_byte_for_byte()
    {
        await using var echo = await SampleProcess.StartServerAsync("Echo", log);
        var data = new byte[1024 * 1024 + 17];
        new Random(42).NextBytes(data);

        // -N: after the input, shut down the sending side; nc then reads until the server closes.
        var result = await Tool.RunAsync("nc", ["-N", "127.0.0.1", echo.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], data);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(data.Length, result.Stdout.Length);
        Assert.True(data.AsSpan().SequenceEqual(result.Stdout), "the echoed bytes differ from the bytes sent");
    }

    [Fact]
    public async Task Listens_on_tcp_and_a_unix_socket_at_once()
    {
        string path = Net.UnixPath("echo");
        await using var echo = await SampleProcess.StartServerAsync("Echo", log, "--port", "0", "--unix", path);

        var overTcp = await Tool.RunAsync("socat", "tcp\n", "-t", "30", "-", $"TCP:127.0.0.1:{echo.Port}");
        var overUnix = await Tool.RunAsync("socat", "unix\n", "-t", "30", "-", $"UNIX-CONNECT:{path}");

        Assert.Equal("tcp\n", overTcp.Text);
        Assert.Equal("unix\n", overUnix.Text);
    }

    [Theory]
    [InlineData(SampleProcess.Signals.SIGINT)]
    [InlineData(SampleProcess.Signals.SIGTERM)]
    public async Task A_stop_signal_closes_the_server_removes_the_socket_file_and_exits_0(int signal)
    {
        string path = Net.UnixPath("echo");
        await using var echo = await SampleProcess.StartServerAsync("Echo", log, "--port", "0", "--unix", path);
        using var idle = await LineClient.ConnectAsync(echo.Port); // a connected client does not keep it alive
        await idle.SendAsync("still here\n");
        Assert.Equal("still here", await idle.ReadLineAsync());
        Assert.True(File.Exists(path));

        echo.Signal(signal);

        Assert.Equal(0, await echo.WaitForExitAsync());
        Assert.Contains("stopped", echo.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(path), "the server should remove its Unix socket file when it closes");
        Assert.Equal("", await idle.ReadToEndAsync()); // the client saw an orderly close
    }

    [Fact]
    public async Task An_unknown_option_prints_usage_and_exits_2()
    {
        await using var echo = SampleProcess.Start("Echo", log, "--bogus", "1");

        Assert.Equal(2, await echo.WaitForExitAsync());
        Assert.Contains("usage: Echo", echo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Running_out_of_descriptors_is_a_server_fault_that_closes_every_client_and_the_server()
    {
        await using var echo = await SampleProcess.StartServerAsync("Echo", log);
        var early = new List<System.Net.Sockets.TcpClient>();
        for (int i = 0; i < 3; i++)
        {
            var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync("127.0.0.1", echo.Port).WaitAsync(SampleProcess.Timeout);
            var stream = client.GetStream();
            await stream.WriteAsync("ping"u8.ToArray());
            var echoed = new byte[4];
            await stream.ReadExactlyAsync(echoed).AsTask().WaitAsync(SampleProcess.Timeout);
            Assert.Equal("ping"u8.ToArray(), echoed);
            early.Add(client);
        }

        // Lower the running server's descriptor limit to just above what it uses: accept then fails with
        // EMFILE, a real listener fault (prlimit is part of util-linux).
        int open = Directory.GetFileSystemEntries($"/proc/{echo.Id}/fd").Length;
        var limit = await Tool.RunAsync("prlimit", "", "--pid", echo.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), $"--nofile={open + 2}:{open + 2}");
        Assert.True(limit.ExitCode == 0, limit.Text);
        var late = new List<System.Net.Sockets.TcpClient>();
        for (int i = 0; i < 8; i++)
        {
            var client = new System.Net.Sockets.TcpClient();
            late.Add(client);
            try
            {
                await client.ConnectAsync("127.0.0.1", echo.Port).WaitAsync(SampleProcess.Timeout);
            }
            catch (System.Net.Sockets.SocketException)
            {
                break; // the fault already closed the listener: later clients are refused
            }
        }

        string fault = await echo.WaitForLineAsync(l => l.Contains("server fault on", StringComparison.Ordinal));
        Assert.Contains("accept", fault, StringComparison.Ordinal); // the real cause reached [OnServerError]
        await echo.WaitForLineAsync("error: the server closed unexpectedly");
        Assert.Equal(1, await echo.WaitForExitAsync());
        foreach (var client in early)
        {
            // The server closed every client it had: reading ends (end of file or reset), nothing hangs.
            var buffer = new byte[16];
            int read;
            try
            {
                read = await client.GetStream().ReadAsync(buffer).AsTask().WaitAsync(SampleProcess.Timeout);
            }
            catch (IOException)
            {
                read = 0;
            }

            Assert.Equal(0, read);
            client.Dispose();
        }

        late.ForEach(c => c.Dispose());
    }
}
