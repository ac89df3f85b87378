using System;
using System.Globalization;
using System.Threading.Tasks;
using Conserv.Samples.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Samples.Tests;

/// <summary>The Client sample against the Echo sample: connect, errors by type, reconnect with backoff.</summary>
public sealed class ClientTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Talks_to_echo_and_stops_after_count()
    {
        await using var echo = await SampleProcess.StartServerAsync("Echo", log);
        await using var client = SampleProcess.Start("Client", log, "--port", P(echo.Port), "--count", "3", "--interval", "1", "--message", "héllo");

        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Contains($"connected to 127.0.0.1:{echo.Port}", client.Output, StringComparison.Ordinal);
        Assert.Contains("received: héllo 1\nreceived: héllo 2\nreceived: héllo 3\ndone after 3 replies\nclosed", client.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Talks_to_echo_over_a_unix_socket()
    {
        string path = Net.UnixPath("client");
        await using var echo = await SampleProcess.StartServerAsync("Echo", log, "--unix", path);
        await using var client = SampleProcess.Start("Client", log, "--unix", path, "--count", "2", "--interval", "1");

        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Contains($"connected to unix:{path}", client.Output, StringComparison.Ordinal);
        Assert.Contains("received: hello 2\ndone after 2 replies", client.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retries_with_backoff_until_the_server_is_up()
    {
        int port = Net.FreePort();
        await using var client = SampleProcess.Start("Client", log, "--port", P(port), "--count", "2", "--interval", "1", "--retry", "50");

        // Refused, handled by the SocketException handler, then reconnects after 50, 100, … ms.
        await client.WaitForLineAsync("connection error: ConnectionRefused");
        await client.WaitForLineAsync("reconnecting in 50 ms (retry 1)");
        await client.WaitForLineAsync("reconnecting in 100 ms (retry 2)");
        await using var echo = await SampleProcess.StartServerAsync("Echo", log, "--port", P(port));

        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Contains($"connected to 127.0.0.1:{port}\nreceived: hello 1\nreceived: hello 2\ndone after 2 replies", client.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconnects_when_the_server_goes_away_and_comes_back()
    {
        var first = await SampleProcess.StartServerAsync("Echo", log);
        int port = first.Port;
        await using var client = SampleProcess.Start("Client", log, "--port", P(port), "--interval", "20", "--retry", "50");
        try
        {
            await client.WaitForLineAsync("received: hello 2");
            first.Signal(SampleProcess.Signals.SIGTERM);
            Assert.Equal(0, await first.WaitForExitAsync());
        }
        finally
        {
            await first.DisposeAsync();
        }

        await client.WaitForLineAsync("reconnecting in");
        await using var second = await SampleProcess.StartServerAsync("Echo", log, "--port", P(port));
        await client.WaitForLineAsync($"connected to 127.0.0.1:{port}", occurrence: 2);
        string lastBefore = await client.WaitForLineAsync("received: hello", occurrence: 3);

        client.Signal(SampleProcess.Signals.SIGINT);
        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.EndsWith("closed", client.Output, StringComparison.Ordinal);
        Assert.NotNull(lastBefore);
    }

    [Fact]
    public async Task Gives_up_after_max_retries_with_exit_code_1()
    {
        int port = Net.FreePort();
        await using var client = SampleProcess.Start("Client", log, "--port", P(port), "--retry", "10", "--max-retries", "3");

        Assert.Equal(1, await client.WaitForExitAsync());
        Assert.Contains("reconnecting in 40 ms (retry 3)", client.Output, StringComparison.Ordinal);
        Assert.Contains("giving up after 3 retries", client.Output, StringComparison.Ordinal);
    }

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);
}
