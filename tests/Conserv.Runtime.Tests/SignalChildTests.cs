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
    [InlineData(SignalChild.SIGINT)]
    [InlineData(SignalChild.SIGTERM)]
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
    [InlineData(SignalChild.SIGINT)]
    [InlineData(SignalChild.SIGTERM)]
    public async Task Run_without_StopOnSignals_leaves_the_signal_its_default_action(int signal)
    {
        await using var child = SignalChild.Start(stopOnSignals: false);
        await child.WaitForLineAsync("listening");

        child.Send(signal);
        Assert.Equal(128 + signal, await child.WaitForExitAsync());
        Assert.DoesNotContain("server closed", child.Lines);
        Assert.DoesNotContain("run returned", child.Lines);
    }
}

/// <summary>
/// The child of <see cref="SignalChildTests"/>: this test assembly run as a program (<c>dotnet Conserv.Runtime.Tests.dll
/// signal-child stop-on-signals|ignore-signals</c>). It runs a loop with a listening server under
/// <see cref="EventLoop.Run(Action, EventLoopOptions?)"/>, prints what happens, and once <c>Run</c> has returned
/// waits to be signalled or killed.
/// </summary>
internal sealed partial class SignalChild : IAsyncDisposable
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;

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

    public static SignalChild Start(bool stopOnSignals)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
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

    public void Send(int signal) => Assert.Equal(0, Interop.Kill(_process.Id, signal));

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

    private static partial class Interop
    {
        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static partial int Kill(int pid, int signal);
    }
}
