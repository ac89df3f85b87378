using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>
/// What <see cref="EventLoop.Run(Action, EventLoopOptions?)"/> does to a process's signals, seen from outside: this
/// test assembly started again as a child (<see cref="SignalChild"/>) and sent real signals. <see cref="SignalStopTests"/>
/// signals the test process itself and must keep it alive with a registration of its own, which hides whether
/// <c>Run</c> cancels the signal's default action, whether it gives its registrations back when it returns, and
/// whether <see cref="EventLoopOptions.StopOnSignals"/> = false leaves the signals alone: here the runtime's
/// default action (ending the process) is what a child does when no one cancels it.
/// </summary>
public sealed class SignalChildTests
{
    [Theory]
    [InlineData(Signals.SIGINT)]
    [InlineData(Signals.SIGTERM)]
    public async Task Run_stops_gracefully_on_a_signal_keeps_the_process_and_hands_the_signal_back_once_it_returned(int signal)
    {
        await using var child = SignalChild.Start(stopOnSignals: true);
        await child.WaitForLineAsync("listening");

        child.Send(signal);
        // Run cancelled the signal's default action: the process lives on past its end, after the close event.
        await child.WaitForLineAsync("server closed");
        await child.WaitForLineAsync("run returned");
        Assert.False(child.HasExited, "the process ended although Run cancelled the signal");

        // Run gave its registrations back: the same signal now ends the process the way it does any program.
        child.Send(signal);
        Assert.Equal(128 + signal, await child.WaitForExitAsync());
    }

    [Theory]
    [InlineData(Signals.SIGINT)]
    [InlineData(Signals.SIGTERM)]
    public async Task Run_without_StopOnSignals_leaves_the_signal_its_default_action(int signal)
    {
        await using var child = SignalChild.Start(stopOnSignals: false);
        await child.WaitForLineAsync("listening");

        child.Send(signal);
        Assert.Equal(128 + signal, await child.WaitForExitAsync());
        Assert.DoesNotContain("server closed", child.Lines);
        Assert.DoesNotContain("run returned", child.Lines);
    }

    [Fact]
    public async Task Run_in_a_process_started_with_SIGINT_ignored_leaves_it_ignored_and_still_stops_on_SIGTERM()
    {
        // What `nohup server &` from a script gives a program: SIGINT ignored from the start, which .NET keeps.
        await using var child = SignalChild.Start(stopOnSignals: true, interruptIgnored: true);
        await child.WaitForLineAsync("listening");

        child.Send(Signals.SIGINT);
        child.Send(Signals.SIGTERM);
        await child.WaitForLineAsync("server closed");
        await child.WaitForLineAsync("run returned");

        // SIGINT is still ignored once Run returned (with its default action it would end the process with
        // 128 + 2 before the SIGTERM sent after it); SIGTERM has its default action back.
        child.Send(Signals.SIGINT);
        child.Send(Signals.SIGTERM);
        Assert.Equal(128 + Signals.SIGTERM, await child.WaitForExitAsync());
    }
}

/// <summary>
/// The child of <see cref="SignalChildTests"/>: this test assembly run as a program (<c>dotnet Conserv.Runtime.Tests.dll
/// signal-child stop-on-signals|ignore-signals</c>). It runs a loop with a listening server under
/// <see cref="EventLoop.Run(Action, EventLoopOptions?)"/>, prints what happens, and once <c>Run</c> has returned
/// waits to be signalled or killed.
/// </summary>
internal sealed class SignalChild : IAsyncDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _incoming = new();
    private readonly ConcurrentQueue<string> _lines = new();

    private SignalChild(Process process) => _process = process;

    /// <summary>Every line the child printed so far.</summary>
    public string[] Lines => _lines.ToArray();

    public bool HasExited => _process.HasExited;

    /// <summary>The entry point of the test assembly when it is run as a program, which only the signal tests do.</summary>
    public static int Main(string[] args)
    {
        if (args is not ["signal-child", "stop-on-signals" or "ignore-signals"])
        {
            Console.Error.WriteLine("usage: Conserv.Runtime.Tests signal-child stop-on-signals|ignore-signals");
            return 2;
        }

        var options = new EventLoopOptions { StopOnSignals = args[1] == "stop-on-signals", ShutdownTimeout = TimeSpan.FromMinutes(1) };
        var driver = new RecordingDriver { OnServerClosed = _ => Console.WriteLine("server closed") };
        EventLoop.Run(
            () =>
            {
                var server = TcpServer.Listen(driver, port: 0);
                Console.WriteLine($"listening {server.Port}");
            },
            options);
        Console.WriteLine("run returned");
        Thread.Sleep(EventLog.DefaultTimeout); // the test signals it before then, or kills it
        return 3;
    }

    public static SignalChild Start(bool stopOnSignals, bool interruptIgnored = false)
    {
        // `env`: a test run started in the background by a shell without job control (`nohup … &`) inherits
        // SIGINT ignored, and .NET keeps ignoring a SIGINT ignored at start (see docs/runtime.md); the child
        // gets the disposition the test asks for, whatever the test process has.
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(interruptIgnored ? "--ignore-signal=INT" : "--default-signal=INT");
        info.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        info.ArgumentList.Add(typeof(SignalChild).Assembly.Location);
        info.ArgumentList.Add("signal-child");
        info.ArgumentList.Add(stopOnSignals ? "stop-on-signals" : "ignore-signals");
        var child = new SignalChild(Process.Start(info)!);
        child._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                child._lines.Enqueue(line);
                child._incoming.Add(line);
            }
            else
            {
                child._incoming.CompleteAdding(); // the child ended: a wait for another line fails at once
            }
        };
        child._process.BeginOutputReadLine();
        return child;
    }

    /// <summary>Waits for the next line to start with <paramref name="prefix"/>; fails on any other line, when the child ends first, or after the default time-out.</summary>
    public Task WaitForLineAsync(string prefix) => Task.Run(() =>
    {
        Assert.True(_incoming.TryTake(out var line, EventLog.DefaultTimeout), $"the child to print '{prefix}' (it printed: {string.Join(" | ", Lines)})");
        Assert.StartsWith(prefix, line);
    });

    public void Send(int signal) => Assert.Equal(0, Signals.Kill(_process.Id, signal));

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WithTimeout("the child to end");
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _incoming.Dispose();
    }
}
