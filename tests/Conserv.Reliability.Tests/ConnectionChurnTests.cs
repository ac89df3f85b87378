using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Reliability.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Reliability.Tests;

/// <summary>
/// A hundred thousand connect/close cycles against the Echo sample (a child process), 48 at a time, ending in
/// turn with an orderly close, a reset (RST) or a half-close, a third of them after exchanging data (some reset
/// while their echo is still coming); afterwards the server's sockets and descriptors are back to the baseline
/// and its resident memory near it.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class ConnectionChurnTests(ITestOutputHelper log)
{
    private const int Cycles = 100_000;
    private const int Parallelism = 48;
    private const int MaxFailuresBeforeStopping = 20;

    // "Near the baseline": what a GC heap that grew under load and has not shrunk yet may keep.
    private const long RssSlackMiB = 64;

    private const int Scenario = 3;
    private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(3);

    // Cycle i runs s_kinds[i % 12]: 4 closes, 4 resets, 4 half-closes; 4 of the 12 with data.
    private static readonly CycleKind[] s_kinds =
    [
        new(CycleEnd.Close, Data: true), new(CycleEnd.Reset, Data: false), new(CycleEnd.HalfClose, Data: false),
        new(CycleEnd.Close, Data: false), new(CycleEnd.Reset, Data: true), new(CycleEnd.HalfClose, Data: false),
        new(CycleEnd.Close, Data: false), new(CycleEnd.Reset, Data: false), new(CycleEnd.HalfClose, Data: true),
        new(CycleEnd.Close, Data: false), new(CycleEnd.Reset, Data: true, ReadEcho: false), new(CycleEnd.HalfClose, Data: false),
    ];

    [Fact]
    public async Task A_hundred_thousand_connect_close_cycles_leave_the_server_with_its_baseline_descriptors_and_memory()
    {
        var report = new ReliabilityReport(nameof(ConnectionChurnTests), log);
        await report.RunAsync(async () =>
        {
            using var deadline = new Deadline(s_limit);
            await using var server = await ChildServer.StartEchoAsync(log, deadline);
            var baseline = server.Baseline;
            report.Add("cycles_requested", Cycles);
            report.Add("parallelism", Parallelism);
            report.Add("server_baseline", baseline);

            var done = new long[s_kinds.Length];
            long bytesVerified = 0;
            int failures = 0;
            var errors = new List<string>();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            var clock = System.Diagnostics.Stopwatch.StartNew();

            string Progress() =>
                $"{done.Sum()} of {Cycles} cycles done ({Describe(done)}), {Interlocked.Read(ref bytesVerified)} bytes verified, {Volatile.Read(ref failures)} failures";

            await deadline.RunAsync(
                "100,000 connect/close cycles",
                async token =>
                {
                    try
                    {
                        await Parallel.ForEachAsync(Enumerable.Range(0, Cycles), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = stop.Token },
                            async (i, t) =>
                            {
                                int k = i % s_kinds.Length;
                                try
                                {
                                    long verified = await ConnectionCycle.RunAsync(server.EndPoint, s_kinds[k], new Pattern(Pattern.SeedFor(Scenario, i)), t);
                                    Interlocked.Add(ref bytesVerified, verified);
                                    Interlocked.Increment(ref done[k]);
                                }
                                catch (Exception e) when (!t.IsCancellationRequested)
                                {
                                    lock (errors)
                                    {
                                        if (errors.Count < 5)
                                        {
                                            string code = e is SocketException s ? $" ({s.SocketErrorCode})" : "";
                                            errors.Add($"cycle {i} ({s_kinds[k]}): {e.GetType().Name}{code}: {e.Message}");
                                        }
                                    }

                                    if (Interlocked.Increment(ref failures) >= MaxFailuresBeforeStopping)
                                    {
                                        await stop.CancelAsync();
                                    }
                                }
                            });
                    }
                    catch (OperationCanceledException) when (!token.IsCancellationRequested)
                    {
                        // stopped after too many failures: reported below
                    }
                },
                Progress);
            double seconds = clock.Elapsed.TotalSeconds;

            report.Add("cycles_done", done.Sum());
            report.Add("cycle_failures", Volatile.Read(ref failures));
            foreach (var group in s_kinds.Select((kind, k) => (kind, k)).GroupBy(x => x.kind.ToString()))
            {
                report.Add("cycles_" + group.Key.Replace("+", "_", StringComparison.Ordinal).Replace("(", "_", StringComparison.Ordinal).Replace(")", "", StringComparison.Ordinal).ToLowerInvariant(),
                    group.Sum(x => done[x.k]));
            }

            report.Add("bytes_verified", Interlocked.Read(ref bytesVerified));
            report.Add("cycle_phase_s", Math.Round(seconds, 2));
            report.Add("cycles_per_s", Math.Round(done.Sum() / seconds, 0));
            Assert.True(failures == 0, $"{failures} cycles failed (stopping after {MaxFailuresBeforeStopping}). {Progress()}. First errors:\n  " + string.Join("\n  ", errors));
            Assert.Equal(Cycles, done.Sum());

            // The server must have closed its side of every connection, and given its memory back (near enough).
            var after = await server.WaitForIdleAsync(baseline.Sockets, "after 100,000 cycles");
            long rssBoundKiB = baseline.RssKiB + (RssSlackMiB * 1024);
            var (settled, _) = await ProcFs.WaitUntilAsync(server.Pid, f => f.RssKiB <= rssBoundKiB, TimeSpan.FromSeconds(10));
            report.Add("server_after", settled);
            report.Add("server_rss_growth_mib", Math.Round((settled.RssKiB - baseline.RssKiB) / 1024.0, 1));
            report.Add("server_rss_bound_mib", Math.Round(rssBoundKiB / 1024.0, 1));
            report.Add("server_lines_printed", server.Process.LinesSeen - server.BaselineLines);
            report.Add("server_stderr_lines", server.Process.ErrorLinesSeen);
            Assert.Equal(baseline.Sockets, after.Sockets);
            Assert.True(settled.Descriptors <= baseline.Descriptors + ChildServer.DescriptorSlack,
                $"the server holds {settled.Descriptors} descriptors after the cycles; {baseline.Descriptors} at the baseline");
            Assert.True(settled.RssKiB <= rssBoundKiB,
                $"the server's resident memory is {settled.RssMiB:F1} MiB after the cycles; baseline {baseline.RssMiB:F1} MiB, bound baseline + {RssSlackMiB} MiB");
            Assert.True(server.Process.ErrorLinesSeen == 0, $"the server reported errors on stderr:\n{server.Process.Output}");
            server.AssertRunning("after the scenario");
        });
    }

    private static string Describe(long[] done) =>
        string.Join(", ", s_kinds.Select((kind, k) => (kind, k)).GroupBy(x => x.kind.ToString()).Select(g => $"{g.Key} {g.Sum(x => Interlocked.Read(ref done[x.k]))}"));
}
