using System;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Reliability.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Reliability.Tests;

/// <summary>
/// A gibibyte through the Echo sample (a child process) on 32 parallel connections, each writing its own
/// pseudo-random stream while reading the echo back, every byte verified; then each half-closes and the server
/// ends the stream, and its sockets are back to the baseline.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class BulkEchoTests(ITestOutputHelper log)
{
    private const int Connections = 32;
    private const long BytesPerConnection = 32L * 1024 * 1024;

    // How far a writer may run ahead of its verified echo: bounds what the server queues for a slow reader.
    private const int WindowBytes = 1024 * 1024;

    private const int Scenario = 2;
    private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task One_gibibyte_echoed_on_32_connections_comes_back_byte_for_byte()
    {
        var report = new ReliabilityReport(nameof(BulkEchoTests), log);
        await report.RunAsync(async () =>
        {
            using var deadline = new Deadline(s_limit);
            await using var server = await ChildServer.StartEchoAsync(log, deadline);
            var baseline = server.Baseline;
            report.Add("connections", Connections);
            report.Add("bytes_per_connection", BytesPerConnection);
            report.Add("window_bytes", WindowBytes);
            report.Add("server_baseline", baseline);

            using var clients = await deadline.RunAsync(
                "connecting",
                token => MassConnector.ConnectAsync(server.EndPoint, Connections, Connections, null, stopOnFirstError: true, token),
                () => "connecting 32 clients");
            Assert.True(clients.Failed == 0, clients.DescribeFailures());

            var progress = new StreamEchoProgress();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int finished = 0;
            var peak = baseline;
            using var sampling = new CancellationTokenSource();
            var sampler = SamplePeakAsync(server, baseline, p => peak = p, sampling.Token);
            await deadline.RunAsync(
                "streaming 1 GiB through the echo server",
                token => Parallel.ForEachAsync(clients.Open(), new ParallelOptions { MaxDegreeOfParallelism = Connections, CancellationToken = token },
                    async (client, t) =>
                    {
                        await StreamEcho.RunAsync(client.Socket, new Pattern(Pattern.SeedFor(Scenario, client.Index)), BytesPerConnection, WindowBytes, progress, t);
                        Interlocked.Increment(ref finished);
                    }),
                () => $"{progress.Sent} bytes sent, {progress.Verified} of {Connections * BytesPerConnection} verified, {Volatile.Read(ref finished)} of {Connections} connections done");
            double seconds = clock.Elapsed.TotalSeconds;
            await sampling.CancelAsync();
            await sampler;

            report.Add("bytes_sent", progress.Sent);
            report.Add("bytes_verified", progress.Verified);
            report.Add("stream_phase_s", Math.Round(seconds, 2));
            report.Add("echo_mib_per_s", Math.Round(progress.Verified / (1024.0 * 1024.0) / seconds, 1));
            report.Add("server_during_stream_max", peak);
            Assert.Equal(Connections * BytesPerConnection, progress.Verified);
            Assert.True(progress.Verified >= 1L << 30, "at least 1 GiB must be echoed");
            Assert.Equal(Connections, Volatile.Read(ref finished));

            // Every client half-closed and saw the server end its stream; now close and check the server let go.
            clients.CloseAll(reset: false);
            var after = await server.WaitForIdleAsync(baseline.Sockets, "after the streaming clients closed");
            report.Add("server_after_close", after);
            report.Add("server_stderr_lines", server.Process.ErrorLinesSeen);
            Assert.Equal(baseline.Sockets, after.Sockets);
            Assert.True(after.Descriptors <= baseline.Descriptors + ChildServer.DescriptorSlack,
                $"the server holds {after.Descriptors} descriptors after the clients closed; {baseline.Descriptors} at the baseline");
            Assert.True(server.Process.ErrorLinesSeen == 0, $"the server reported errors on stderr:\n{server.Process.Output}");
            server.AssertRunning("after the scenario");
        });
    }

    /// <summary>Samples the server's figures every 200 ms and keeps the one with the highest resident memory.</summary>
    private static async Task SamplePeakAsync(ChildServer server, ProcessFigures start, Action<ProcessFigures> peak, CancellationToken cancellationToken)
    {
        var highest = start;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = ProcFs.Snapshot(server.Pid);
                if (now.RssKiB > highest.RssKiB)
                {
                    highest = now;
                    peak(highest);
                }

                await Task.Delay(200, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (System.IO.IOException)
        {
            // the server is gone; the scenario reports that
        }
    }
}
