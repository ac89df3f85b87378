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
        string output = echo.Output;
        Assert.Contains("stopped", output, StringComparison.Ordinal);
        int closed = output.IndexOf("closed", StringComparison.Ordinal);
        Assert.True(closed >= 0 && closed < output.LastIndexOf("stopped", StringComparison.Ordinal), "the close handlers ran before the program ended");
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
    public async Task Running_out_of_descriptors_turns_new_clients_away_while_every_connected_client_is_served()
    {
        await using var echo = await SampleProcess.StartServerAsync("Echo", log);
        var early = new List<System.Net.Sockets.TcpClient>();
        for (int i = 0; i < 3; i++)
        {
            var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync("127.0.0.1", echo.Port).WaitAsync(SampleProcess.Timeout);
            await AssertEchoesAsync(client, "ping");
            early.Add(client);
        }

        // Lower the running server's descriptor limit (the soft one, so it can be raised again) to just what it
        // uses: accept then fails with EMFILE (prlimit is part of util-linux).
        string pid = echo.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        int open = Directory.GetFileSystemEntries($"/proc/{echo.Id}/fd").Length;
        var limit = await Tool.RunAsync("prlimit", "", "--pid", pid, $"--nofile={open}:20000");
        Assert.True(limit.ExitCode == 0, limit.Text);
        for (int i = 0; i < 8; i++)
        {
            // The kernel completes the handshake; the server, out of descriptors, turns the client away.
            using var late = new System.Net.Sockets.TcpClient();
            await late.ConnectAsync("127.0.0.1", echo.Port).WaitAsync(SampleProcess.Timeout);
            Assert.Equal(0, await ReadOrEndAsync(late));
        }

        string report = await echo.WaitForLineAsync(l => l.Contains("server error on", StringComparison.Ordinal));
        Assert.Contains("accept: Too many open files (EMFILE)", report, StringComparison.Ordinal);
        foreach (var client in early)
        {
            await AssertEchoesAsync(client, "pong"); // the clients connected before carry on
        }

        // Descriptors come back: new clients are served again, without a restart.
        limit = await Tool.RunAsync("prlimit", "", "--pid", pid, "--nofile=20000:20000");
        Assert.True(limit.ExitCode == 0, limit.Text);
        string? echoed = null;
        for (int attempt = 0; attempt < 100 && echoed is null; attempt++)
        {
            // Accepting resumes after a pause of at most a second; until then a client may still be turned away.
            using var probe = new System.Net.Sockets.TcpClient();
            await probe.ConnectAsync("127.0.0.1", echo.Port).WaitAsync(SampleProcess.Timeout);
            await probe.GetStream().WriteAsync("back"u8.ToArray());
            var buffer = new byte[4];
            if (await ReadOrEndAsync(probe, buffer) == 4)
            {
                echoed = System.Text.Encoding.ASCII.GetString(buffer);
            }
            else
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal("back", echoed);
        Assert.DoesNotContain("closed unexpectedly", echo.Output, StringComparison.Ordinal);
        early.ForEach(c => c.Dispose());
    }

    private static async Task AssertEchoesAsync(System.Net.Sockets.TcpClient client, string text)
    {
        var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(text));
        var echoed = new byte[text.Length];
        await stream.ReadExactlyAsync(echoed).AsTask().WaitAsync(SampleProcess.Timeout);
        Assert.Equal(text, System.Text.Encoding.ASCII.GetString(echoed));
    }

    /// <summary>Reads what arrives until the buffer is full or the connection ends (end of file or reset); returns the count.</summary>
    private static async Task<int> ReadOrEndAsync(System.Net.Sockets.TcpClient client, byte[]? buffer = null)
    {
        buffer ??= new byte[16];
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int read = await client.GetStream().ReadAsync(buffer.AsMemory(total)).AsTask().WaitAsync(SampleProcess.Timeout);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }
        }
        catch (IOException)
        {
        }

        return total;
    }
}
