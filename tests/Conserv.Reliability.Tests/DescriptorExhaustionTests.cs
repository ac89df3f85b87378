using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Reliability.Tests.Support;
using Conserv.Samples.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Reliability.Tests;

/// <summary>
/// The Echo sample with few descriptors. Under <c>prlimit --nofile=256:256</c> its default MaxConnections
/// (256 less a reserve of 128 = 128) admits the first clients and turns the rest away at once, so it never runs
/// out; with its soft limit lowered while it runs to what it already uses, accept fails with EMFILE: it reports
/// it, turns a flood of 200 clients away, keeps its clients, and serves again once the limit is raised.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class DescriptorExhaustionTests(ITestOutputHelper log)
{
    private const int Limit = 256;
    private const int ExpectedCap = 128; // DescriptorLimit.DefaultMaxConnections for 256: 256 - min(128, clamp(25, 128, 1024))
    private const int Attempts = 300;
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_answer = TimeSpan.FromSeconds(5);

    private enum Fate
    {
        Served,
        TurnedAway,
        Hung,
    }

    [Fact]
    public async Task Under_a_256_descriptor_limit_the_first_192_clients_are_admitted_the_rest_turned_away_and_slots_come_back()
    {
        var report = new ReliabilityReport(nameof(DescriptorExhaustionTests) + ".MaxConnections", log);
        await report.RunAsync(async () =>
        {
            using var deadline = new Deadline(s_limit);
            var launch = new SampleLaunch { KeepLastLines = ChildServer.KeptLines, Wrapper = ["prlimit", $"--nofile={Limit}:{Limit}", "--"] };
            await using var server = await ChildServer.StartEchoAsync(log, deadline, launch);
            var baseline = server.Baseline;
            report.Add("server_open_file_limit", ProcFs.OpenFileLimit(server.Pid) ?? -1);
            report.Add("server_baseline", baseline);
            Assert.Equal(Limit, ProcFs.OpenFileLimit(server.Pid));

            var clients = new List<Socket>();
            var fates = new Fate[Attempts];
            var clock = Stopwatch.StartNew();
            try
            {
                await using (var sampler = new PeakSampler(server.Pid))
                {
                    await deadline.RunAsync(
                        $"connecting {Attempts} clients one after another",
                        async token =>
                        {
                            for (int i = 0; i < Attempts; i++)
                            {
                                var (fate, socket) = await TryEchoAsync(server.EndPoint, token);
                                fates[i] = fate;
                                if (socket is not null)
                                {
                                    clients.Add(socket);
                                }
                            }
                        },
                        () => $"{clients.Count} admitted so far");
                    report.Add("connect_phase_s", Math.Round(clock.Elapsed.TotalSeconds, 2));
                    report.Add("server_peak_fds", sampler.PeakDescriptors);
                }

                int admitted = fates.Count(f => f == Fate.Served);
                int turnedAway = fates.Count(f => f == Fate.TurnedAway);
                int firstTurnedAway = Array.IndexOf(fates, Fate.TurnedAway);
                report.Add("clients_admitted", admitted);
                report.Add("clients_turned_away", turnedAway);
                report.Add("clients_hung", fates.Count(f => f == Fate.Hung));
                report.Add("first_turned_away_index", firstTurnedAway);
                var full = server.Snapshot();
                report.Add("server_full", full);
                Assert.Equal(0, fates.Count(f => f == Fate.Hung));
                Assert.Equal(ExpectedCap, admitted);
                Assert.Equal(ExpectedCap, firstTurnedAway);
                Assert.True(fates.Skip(firstTurnedAway).All(f => f == Fate.TurnedAway), "a client was admitted after the cap had been reached with no client gone");
                Assert.Equal(baseline.Sockets + ExpectedCap, full.Sockets);
                Assert.True(full.Descriptors < Limit, $"the server holds {full.Descriptors} descriptors under a limit of {Limit}");

                // Every admitted client still echoes.
                int stillEcho = 0;
                await deadline.RunAsync("echoing on every admitted client", async token =>
                {
                    foreach (var c in clients)
                    {
                        if (await EchoesAsync(c, (byte)'y', token))
                        {
                            stillEcho++;
                        }
                    }
                }, () => $"{stillEcho} echoed");
                report.Add("admitted_clients_still_echoing", stillEcho);
                Assert.Equal(clients.Count, stillEcho);

                // Ten leave; ten newcomers are served; the next one is turned away again.
                foreach (var c in clients.Take(10))
                {
                    SocketIo.CloseOrderly(c);
                }

                clients.RemoveRange(0, 10);
                var (_, freed) = await ProcFs.WaitUntilAsync(server.Pid, f => f.Sockets <= baseline.Sockets + ExpectedCap - 10, TimeSpan.FromSeconds(10), deadline.Token);
                Assert.True(freed, "the server did not close its side of 10 clients that left");
                var newcomers = new List<Fate>();
                await deadline.RunAsync("connecting 11 newcomers", async token =>
                {
                    for (int i = 0; i < 11; i++)
                    {
                        var (fate, socket) = await TryEchoAsync(server.EndPoint, token);
                        newcomers.Add(fate);
                        if (socket is not null)
                        {
                            clients.Add(socket);
                        }
                    }
                }, () => $"{newcomers.Count} newcomers");
                report.Add("newcomers_served_after_10_left", newcomers.Take(10).Count(f => f == Fate.Served));
                report.Add("eleventh_newcomer", newcomers[10].ToString());
                Assert.True(newcomers.Take(10).All(f => f == Fate.Served), $"after 10 clients left, the newcomers fared: {string.Join(", ", newcomers)}");
                Assert.Equal(Fate.TurnedAway, newcomers[10]);
                Assert.DoesNotContain("EMFILE", server.Process.Output, StringComparison.Ordinal);
            }
            finally
            {
                clients.ForEach(SocketIo.Reset);
            }

            var after = await server.WaitForIdleAsync(baseline.Sockets, "after all clients reset");
            report.Add("server_after", after);
            Assert.True(after.Descriptors <= baseline.Descriptors + ChildServer.DescriptorSlack, $"{after.Descriptors} descriptors after, {baseline.Descriptors} at the baseline");
            server.AssertRunning("after the scenario");
        });
    }

    [Fact]
    public async Task Out_of_descriptors_Echo_reports_EMFILE_turns_a_flood_away_keeps_its_clients_and_recovers()
    {
        const int Early = 20;
        const int Flood = 200;
        var report = new ReliabilityReport(nameof(DescriptorExhaustionTests) + ".EMFILE", log);
        await report.RunAsync(async () =>
        {
            using var deadline = new Deadline(s_limit);
            await using var server = await ChildServer.StartEchoAsync(log, deadline);
            var baseline = server.Baseline;
            report.Add("server_baseline", baseline);
            string pid = server.Pid.ToString(CultureInfo.InvariantCulture);
            long hard = HardOpenFileLimit(server.Pid);

            var early = new List<Socket>();
            var flood = new List<Socket>();
            try
            {
                for (int i = 0; i < Early; i++)
                {
                    var (fate, socket) = await TryEchoAsync(server.EndPoint, deadline.Token);
                    Assert.Equal(Fate.Served, fate);
                    early.Add(socket!);
                }

                // The soft limit down to what the server holds now: its next accept fails with EMFILE. The runtime may
                // open a descriptor of its own between the count and the prlimit (seen once in CI: 84 held under a
                // limit of 83), and one opened before the limit stays: count again after it, and start over if the
                // count moved (at most five times).
                int open = 0;
                for (int attempt = 0; attempt < 5; attempt++)
                {
                    open = ProcFs.Snapshot(server.Pid).Descriptors;
                    await PrLimitAsync(pid, $"--nofile={open}:{hard}");
                    if (ProcFs.Snapshot(server.Pid).Descriptors <= open)
                    {
                        break;
                    }
                }

                report.Add("soft_limit_lowered_to", open);

                int served = 0, turnedAway = 0, hung = 0;
                var clock = Stopwatch.StartNew();
                using var set = await deadline.RunAsync(
                    $"flooding with {Flood} connects",
                    token => MassConnector.ConnectAsync(server.EndPoint, Flood, 32,
                        async (i, socket, t) =>
                        {
                            var fate = await AnswerAsync(socket, (byte)'f', t);
                            _ = fate switch
                            {
                                Fate.Served => Interlocked.Increment(ref served),
                                Fate.TurnedAway => Interlocked.Increment(ref turnedAway),
                                _ => Interlocked.Increment(ref hung),
                            };
                        },
                        stopOnFirstError: false, token),
                    () => $"{served} served, {turnedAway} turned away, {hung} hung");
                report.Add("flood_s", Math.Round(clock.Elapsed.TotalSeconds, 2));
                report.Add("flood_served", served);
                report.Add("flood_turned_away", turnedAway);
                report.Add("flood_hung", hung);
                report.Add("flood_connect_failures", set.Failed);
                foreach (var (_, s) in set.Open())
                {
                    flood.Add(s);
                }

                string line = await server.Process.WaitForLineAsync(l => l.Contains("server error on", StringComparison.Ordinal));
                int emfileLines = server.Process.Output.Split('\n').Count(l => l.Contains("EMFILE", StringComparison.Ordinal));
                report.Add("emfile_report_lines", emfileLines);
                var starved = server.Snapshot();
                report.Add("server_starved", starved);
                Assert.Contains("accept: Too many open files (EMFILE)", line, StringComparison.Ordinal);
                Assert.True(set.Failed == 0, set.DescribeFailures());
                Assert.Equal(0, hung);
                Assert.Equal(Flood, served + turnedAway);
                Assert.True(starved.Descriptors <= open, $"the server holds {starved.Descriptors} descriptors with a soft limit of {open}");
                Assert.Equal(baseline.Sockets + Early + served, starved.Sockets);

                int earlyEcho = 0;
                foreach (var c in early)
                {
                    earlyEcho += await EchoesAsync(c, (byte)'e', deadline.Token) ? 1 : 0;
                }

                report.Add("early_clients_still_echoing", earlyEcho);
                Assert.Equal(Early, earlyEcho);

                // Descriptors back: accepting resumes by itself (after a pause of at most a second).
                await PrLimitAsync(pid, $"--nofile={hard}:{hard}");
                var recover = Stopwatch.StartNew();
                int probes = 0;
                Socket? probe = null;
                while (probe is null && recover.Elapsed < TimeSpan.FromSeconds(10))
                {
                    probes++;
                    var (fate, socket) = await TryEchoAsync(server.EndPoint, deadline.Token);
                    probe = socket;
                    if (fate != Fate.Served)
                    {
                        await Task.Delay(50, deadline.Token);
                    }
                }

                report.Add("recovered_after_s", Math.Round(recover.Elapsed.TotalSeconds, 2));
                report.Add("recovery_probes", probes);
                Assert.True(probe is not null, $"no client was served within 10 s of the limit being raised ({probes} tries)");
                early.Add(probe!);
                for (int i = 0; i < 50; i++)
                {
                    var (fate, socket) = await TryEchoAsync(server.EndPoint, deadline.Token);
                    Assert.Equal(Fate.Served, fate);
                    early.Add(socket!);
                }

                report.Add("served_after_recovery", 51);
            }
            finally
            {
                early.ForEach(SocketIo.Reset);
                flood.ForEach(SocketIo.Reset);
            }

            var after = await server.WaitForIdleAsync(baseline.Sockets, "after all clients reset");
            report.Add("server_after", after);
            var (settled, _) = await ProcFs.WaitUntilAsync(server.Pid, f => f.Descriptors <= baseline.Descriptors + ChildServer.DescriptorSlack, TimeSpan.FromSeconds(5), deadline.Token);
            report.Add("server_after_settled", settled);
            Assert.True(settled.Descriptors <= baseline.Descriptors + ChildServer.DescriptorSlack,
                $"{settled.Descriptors} descriptors 5 s after all clients reset, {baseline.Descriptors} at the baseline; besides sockets it holds: {DescribeDescriptors(server.Pid)}");
            Assert.DoesNotContain("closed unexpectedly", server.Process.Output, StringComparison.Ordinal);
            server.AssertRunning("after the scenario");
        });
    }

    /// <summary>Connects, sends one byte and sees whether it comes back (the socket is kept) or the connection ends.</summary>
    private static async Task<(Fate Fate, Socket? Socket)> TryEchoAsync(IPEndPoint endPoint, CancellationToken token)
    {
        var socket = SocketIo.NewClient(endPoint);
        try
        {
            await socket.ConnectAsync(endPoint, token);
            var fate = await AnswerAsync(socket, (byte)'x', token);
            if (fate == Fate.Served)
            {
                return (fate, socket);
            }

            socket.Dispose();
            return (fate, null);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<Fate> AnswerAsync(Socket socket, byte b, CancellationToken token)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
        wait.CancelAfter(s_answer);
        try
        {
            await socket.SendAsync(new[] { b }, SocketFlags.None, wait.Token);
            var buffer = new byte[1];
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
            return n == 1 && buffer[0] == b ? Fate.Served : Fate.TurnedAway;
        }
        catch (SocketException)
        {
            return Fate.TurnedAway; // reset
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return Fate.Hung;
        }
    }

    private static async Task<bool> EchoesAsync(Socket socket, byte b, CancellationToken token) => await AnswerAsync(socket, b, token) == Fate.Served;

    /// <summary>The process's descriptors by target (sockets and pipes by kind), with counts.</summary>
    private static string DescribeDescriptors(int pid) =>
        string.Join(", ", Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd")
            .Select(e => { try { return new FileInfo(e).LinkTarget ?? "?"; } catch (IOException) { return "gone"; } })
            .Select(t => t.StartsWith("socket:", StringComparison.Ordinal) ? "socket" : t.StartsWith("pipe:", StringComparison.Ordinal) ? "pipe" : t.StartsWith("anon_inode:", StringComparison.Ordinal) ? t : t)
            .GroupBy(t => t).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()}× {g.Key}"));

    private static long HardOpenFileLimit(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        return long.Parse(line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    private static async Task PrLimitAsync(string pid, string limit)
    {
        var info = new ProcessStartInfo("prlimit") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("--pid");
        info.ArgumentList.Add(pid);
        info.ArgumentList.Add(limit);
        using var p = Process.Start(info)!;
        string err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"prlimit --pid {pid} {limit} failed: {err}");
    }
}
