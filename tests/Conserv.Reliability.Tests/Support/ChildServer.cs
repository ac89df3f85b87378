using System;
using System.Globalization;
using System.Net;
using System.Threading.Tasks;
using Conserv.Samples.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Reliability.Tests.Support;

/// <summary>
/// A sample server running as a child process (through the samples tests' <see cref="SampleProcess"/>), seen
/// from outside: its TCP endpoint, its descriptors and memory from /proc, and its baseline — the figures once
/// warmed up and idle, which the scenarios compare against after their load.
/// </summary>
/// <remarks>
/// Its output is drained continuously and only the last <see cref="KeptLines"/> lines are kept (Echo prints a
/// line per peer reset: tens of thousands in a churn scenario). Disposing kills it and prints those lines.
/// </remarks>
public sealed class ChildServer : IAsyncDisposable
{
    /// <summary>How many of the server's last output lines are kept (and shown when the test ends).</summary>
    public const int KeptLines = 200;

    /// <summary>How many descriptors beyond the baseline count as "back near the baseline" (the runtime may map another assembly file, say).</summary>
    public const int DescriptorSlack = 16;

    private ChildServer(SampleProcess process)
    {
        Process = process;
        EndPoint = new IPEndPoint(IPAddress.Loopback, process.Port);
    }

    /// <summary>The process.</summary>
    public SampleProcess Process { get; }

    /// <summary>Its process id.</summary>
    public int Pid => Process.Id;

    /// <summary>Where it listens: 127.0.0.1 and its port.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The figures after the warm-up, with no client connected.</summary>
    public ProcessFigures Baseline { get; private set; }

    /// <summary>Output lines the server had printed when the baseline was taken.</summary>
    public long BaselineLines { get; private set; }

    /// <summary>
    /// Starts the Echo sample on 127.0.0.1 with a free port, warms it up with one connection of every
    /// <see cref="CycleKind"/> (so code and assemblies it loads lazily are loaded), waits until its sockets are
    /// back to what it had before the warm-up, and takes the baseline.
    /// </summary>
    /// <param name="log">The test's output.</param>
    /// <param name="deadline">The scenario's deadline; the warm-up runs under it.</param>
    /// <param name="launch">How to start it (null: keep the last <see cref="KeptLines"/> lines, no wrapper).</param>
    /// <returns>The running, idle server.</returns>
    public static async Task<ChildServer> StartEchoAsync(ITestOutputHelper log, Deadline deadline, SampleLaunch? launch = null)
    {
        ArgumentNullException.ThrowIfNull(deadline);
        var process = await SampleProcess.StartServerAsync("Echo", log, launch ?? new SampleLaunch { KeepLastLines = KeptLines }, "--host", "127.0.0.1", "--port", "0");
        var server = new ChildServer(process);
        try
        {
            var idle = ProcFs.Snapshot(server.Pid);
            CycleKind[] kinds =
            [
                new(CycleEnd.Close, Data: false), new(CycleEnd.Close, Data: true),
                new(CycleEnd.Reset, Data: false), new(CycleEnd.Reset, Data: true), new(CycleEnd.Reset, Data: true, ReadEcho: false),
                new(CycleEnd.HalfClose, Data: false), new(CycleEnd.HalfClose, Data: true),
            ];
            int warmed = 0;
            await deadline.RunAsync(
                "warming up the server",
                async token =>
                {
                    for (int round = 0; round < 3; round++)
                    {
                        for (int k = 0; k < kinds.Length; k++, warmed++)
                        {
                            await ConnectionCycle.RunAsync(server.EndPoint, kinds[k], new Pattern(Pattern.SeedFor(0, (round * 100) + k)), token);
                        }
                    }
                },
                () => $"{warmed} of {3 * kinds.Length} warm-up connections done");

            await server.WaitForIdleAsync(idle.Sockets, "after the warm-up");
            server.Baseline = ProcFs.Snapshot(server.Pid);
            server.BaselineLines = process.LinesSeen;
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts any sample server (its own arguments, e.g. <c>--host 127.0.0.1 --port 0</c>), warms it up with
    /// <paramref name="warmUp"/> (which must close its connections), waits until its sockets are back to what it
    /// had before, and takes the baseline.
    /// </summary>
    /// <param name="sample">The sample's name (KeyValue, HttpHello, …).</param>
    /// <param name="log">The test's output.</param>
    /// <param name="deadline">The scenario's deadline; the warm-up runs under it.</param>
    /// <param name="launch">How to start it (null: keep the last <see cref="KeptLines"/> lines, no wrapper).</param>
    /// <param name="warmUp">A few requests of every kind the scenario uses, on connections it closes.</param>
    /// <param name="args">The sample's arguments.</param>
    /// <returns>The running, idle server.</returns>
    public static async Task<ChildServer> StartAsync(string sample, ITestOutputHelper log, Deadline deadline, SampleLaunch? launch,
        Func<IPEndPoint, System.Threading.CancellationToken, Task> warmUp, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(deadline);
        ArgumentNullException.ThrowIfNull(warmUp);
        var process = await SampleProcess.StartServerAsync(sample, log, launch ?? new SampleLaunch { KeepLastLines = KeptLines }, args);
        var server = new ChildServer(process);
        try
        {
            var idle = ProcFs.Snapshot(server.Pid);
            await deadline.RunAsync("warming up the server", token => warmUp(server.EndPoint, token), () => "warm-up");
            await server.WaitForIdleAsync(idle.Sockets, "after the warm-up");
            server.Baseline = ProcFs.Snapshot(server.Pid);
            server.BaselineLines = process.LinesSeen;
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads its figures now.</summary>
    /// <returns>Descriptors and memory.</returns>
    public ProcessFigures Snapshot()
    {
        AssertRunning("reading /proc");
        return ProcFs.Snapshot(Pid);
    }

    /// <summary>Fails the test if the server has exited.</summary>
    /// <param name="when">What the test was doing, for the message.</param>
    public void AssertRunning(string when)
    {
        bool exited;
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(Pid);
            exited = p.HasExited;
        }
        catch (ArgumentException)
        {
            exited = true;
        }

        if (exited)
        {
            Assert.Fail($"the server (pid {Pid}) exited {when}. Its last output:\n{Process.Output}");
        }
    }

    /// <summary>
    /// Waits (at most <paramref name="timeout"/>, default 30 s) until the server holds exactly
    /// <paramref name="sockets"/> sockets — its clients' connections are all closed on its side — and fails the
    /// test with the figures if it does not.
    /// </summary>
    /// <param name="sockets">The socket count of the idle server.</param>
    /// <param name="when">What the test has done, for the message.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>The figures at the end of the wait.</returns>
    public async Task<ProcessFigures> WaitForIdleAsync(int sockets, string when, TimeSpan? timeout = null)
    {
        AssertRunning(when);
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var (figures, reached) = await ProcFs.WaitUntilAsync(Pid, f => f.Sockets <= sockets, limit);
        if (!reached)
        {
            Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{when}, the server still holds {figures.Sockets} sockets after {limit.TotalSeconds:F0} s; idle it holds {sockets}. Figures: {figures}"));
        }

        return figures;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
