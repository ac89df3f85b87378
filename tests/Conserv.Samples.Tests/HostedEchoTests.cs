using System;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Conserv.Samples.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Samples.Tests;

/// <summary>The HostedEcho sample: the echo server in the generic host, configured by appsettings.json and the command line.</summary>
public sealed partial class HostedEchoTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Echoes_on_the_port_the_command_line_sets_and_stops_gracefully_on_SIGTERM()
    {
        await using var echo = SampleProcess.Start("HostedEcho", log, "--Conserv:Servers:echo:Port", "0");
        string listening = await echo.WaitForLineAsync(l => Listening().IsMatch(l));
        int port = int.Parse(Listening().Match(listening).Groups[1].Value, CultureInfo.InvariantCulture);

        var result = await Tool.RunAsync("socat", "hello, host\n", "-t", "30", "-", $"TCP:127.0.0.1:{port}");
        Assert.Equal("hello, host\n", result.Text);

        echo.Signal(SampleProcess.Signals.SIGTERM);

        Assert.Equal(0, await echo.WaitForExitAsync());
        Assert.Contains("Conserv server echo closed", echo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_otel_the_Conserv_meter_is_exported_to_the_console_when_the_host_stops()
    {
        await using var echo = SampleProcess.Start("HostedEcho", log, "--otel", "--Conserv:Servers:echo:Port", "0");
        string listening = await echo.WaitForLineAsync(l => Listening().IsMatch(l));
        int port = int.Parse(Listening().Match(listening).Groups[1].Value, CultureInfo.InvariantCulture);
        var result = await Tool.RunAsync("socat", "hello, otel\n", "-t", "30", "-", $"TCP:127.0.0.1:{port}");
        Assert.Equal("hello, otel\n", result.Text);

        // The export interval is 60 s, far beyond this test: what is printed comes from the flush when the host stops.
        echo.Signal(SampleProcess.Signals.SIGTERM);

        Assert.Equal(0, await echo.WaitForExitAsync());
        string output = echo.Output;
        Assert.Contains("service.name: HostedEcho", output, StringComparison.Ordinal);
        // Each metric is a block of lines: its name, the meter ("Name: Conserv"), the tags, then "Value: …".
        Assert.Matches(@"Metric Name: conserv\.connections, .*\n(?:.*\n){0,8}?.*conserv\.connection\.side: server network\.transport: tcp \nValue: 1\n", output);
        Assert.Matches(@"Metric Name: conserv\.io\.read, .*\n(?:.*\n){0,8}?Value: 12\n", output); // "hello, otel\n"
    }

    [Fact]
    public async Task A_bad_setting_fails_the_start_naming_its_key()
    {
        await using var echo = SampleProcess.Start("HostedEcho", log, "--Conserv:Servers:echo:Port", "70000");

        Assert.NotEqual(0, await echo.WaitForExitAsync());
        Assert.Contains("Conserv:Servers:echo:Port must be from 0 to 65535", echo.Output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Conserv server echo listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex Listening();
}
