using System;
using System.Threading.Tasks;
using Conserv.Reliability.Tests.Support;
using Conserv.Samples.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Reliability.Tests;

/// <summary>
/// The child-server harness itself: a server started under a wrapper (prlimit, as a descriptor-exhaustion
/// scenario needs) is watched under its own process id, and its limit is the one asked for.
/// </summary>
public sealed class ChildServerTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Echo_started_under_prlimit_keeps_its_own_pid_and_gets_the_descriptor_limit()
    {
        using var deadline = new Deadline(TimeSpan.FromSeconds(60));
        var launch = new SampleLaunch { KeepLastLines = ChildServer.KeptLines, Wrapper = ["prlimit", "--nofile=300:300", "--"] };

        await using var server = await ChildServer.StartEchoAsync(log, deadline, launch);

        Assert.Equal(300, ProcFs.OpenFileLimit(server.Pid));
        Assert.Contains("Echo.dll", await System.IO.File.ReadAllTextAsync($"/proc/{server.Pid}/cmdline"), StringComparison.Ordinal);
        Assert.Equal(server.Baseline.Sockets, server.Snapshot().Sockets);
        long echoed = await ConnectionCycle.RunAsync(server.EndPoint, new CycleKind(CycleEnd.HalfClose, Data: true), new Pattern(77), deadline.Token);
        Assert.True(echoed > 0);
    }
}
