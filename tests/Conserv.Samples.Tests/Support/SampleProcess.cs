using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace Conserv.Samples.Tests.Support;

/// <summary>
/// A sample program running as a real process (<c>dotnet samples/Name/bin/…/Name.dll args</c>). Its output
/// is collected line by line (all of it, or the last <see cref="SampleLaunch.KeepLastLines"/> lines); waits are
/// bounded; disposing kills it if it still runs (also when a test fails).
/// </summary>
/// <remarks>
/// This file is also compiled into tests/Conserv.Reliability.Tests (linked), which runs the samples under load.
/// </remarks>
public sealed partial class SampleProcess : IAsyncDisposable
{
    /// <summary>The bound on every wait.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly ITestOutputHelper? _log;
    private readonly string _name;
    private readonly Queue<string> _lines = new();
    private readonly object _gate = new();
    private readonly int _keepLastLines;
    private long _linesSeen;
    private long _errorLinesSeen;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _streamsOpen = 2;

    private SampleProcess(string name, Process process, ITestOutputHelper? log, int keepLastLines)
    {
        _name = name;
        _process = process;
        _log = log;
        _keepLastLines = keepLastLines;
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>
    /// Everything the process has printed so far (stdout and stderr, in arrival order); with
    /// <see cref="SampleLaunch.KeepLastLines"/>, the last lines only, after a note of how many were dropped.
    /// </summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                long dropped = _linesSeen - _lines.Count;
                return (dropped > 0 ? $"[{dropped} earlier lines dropped]\n" : "") + string.Join("\n", _lines);
            }
        }
    }

    /// <summary>How many lines the process has printed so far (stdout and stderr), kept or not.</summary>
    public long LinesSeen
    {
        get
        {
            lock (_gate)
            {
                return _linesSeen;
            }
        }
    }

    /// <summary>How many of those lines came on standard error.</summary>
    public long ErrorLinesSeen
    {
        get
        {
            lock (_gate)
            {
                return _errorLinesSeen;
            }
        }
    }

    /// <summary>The TCP port from the first <c>listening on HOST:PORT</c> line (after <see cref="StartServerAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary>Starts a sample program.</summary>
    /// <param name="name">The sample (its folder and assembly name).</param>
    /// <param name="log">Where the process's output goes when the test ends.</param>
    /// <param name="args">Its arguments.</param>
    /// <returns>The running process.</returns>
    public static SampleProcess Start(string name, ITestOutputHelper? log, params string[] args) =>
        Start(name, log, SampleLaunch.Default, args);

    /// <summary>Starts a sample program the way <paramref name="launch"/> says.</summary>
    /// <param name="name">The sample (its folder and assembly name).</param>
    /// <param name="log">Where the process's output goes when the test ends.</param>
    /// <param name="launch">How much output to keep, and a wrapper command to run it under.</param>
    /// <param name="args">Its arguments.</param>
    /// <returns>The running process.</returns>
    public static SampleProcess Start(string name, ITestOutputHelper? log, SampleLaunch launch, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(launch);
        string? dll = launch.Program is null ? SamplePath(name) : null;
        // A test run started in the background by a shell without job control (`nohup … &`) inherits SIGINT
        // ignored, and .NET (like any Unix program) keeps ignoring a SIGINT that was ignored at start; the
        // stop-signal tests need a child whose SIGINT works, so `env` gives it the default disposition back.
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--default-signal=INT");
        foreach (string arg in launch.Wrapper)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add(launch.Program ?? "dotnet");

        if (dll is not null)
        {
            info.ArgumentList.Add(dll);
        }

        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var sample = new SampleProcess(name, process, log, launch.KeepLastLines ?? int.MaxValue);
        process.OutputDataReceived += (_, e) => sample.OnLine(e.Data, "");
        process.ErrorDataReceived += (_, e) => sample.OnLine(e.Data, "stderr: ");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sample;
    }

    /// <summary>Starts a sample server and waits for its <c>listening on</c> line(s).</summary>
    /// <param name="name">The sample.</param>
    /// <param name="log">Where the output goes when the test ends.</param>
    /// <param name="args">Its arguments; without any, <c>--port 0</c>.</param>
    /// <returns>The running server, with <see cref="Port"/> set when it listens on TCP.</returns>
    public static Task<SampleProcess> StartServerAsync(string name, ITestOutputHelper? log, params string[] args) =>
        StartServerAsync(name, log, SampleLaunch.Default, args);

    /// <summary>Starts a sample server the way <paramref name="launch"/> says and waits for its <c>listening on</c> line(s).</summary>
    /// <param name="name">The sample.</param>
    /// <param name="log">Where the output goes when the test ends.</param>
    /// <param name="launch">How much output to keep, and a wrapper command to run it under.</param>
    /// <param name="args">Its arguments; without any, <c>--port 0</c>.</param>
    /// <returns>The running server, with <see cref="Port"/> set when it listens on TCP.</returns>
    public static async Task<SampleProcess> StartServerAsync(string name, ITestOutputHelper? log, SampleLaunch launch, params string[] args)
    {
        var sample = Start(name, log, launch, args.Length == 0 ? ["--port", "0"] : args);
        try
        {
            bool tcp = args.Length == 0 || args.Contains("--port") || args.Contains("--host") || !args.Contains("--unix");
            bool unix = args.Contains("--unix");
            if (tcp)
            {
                string line = await sample.WaitForLineAsync(l => ListeningTcp().IsMatch(l));
                sample.Port = int.Parse(ListeningTcp().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            }

            if (unix)
            {
                await sample.WaitForLineAsync(l => l.StartsWith("listening on unix:", StringComparison.Ordinal));
            }

            return sample;
        }
        catch
        {
            await sample.DisposeAsync();
            throw;
        }
    }

    /// <summary>The sample's built program.</summary>
    /// <param name="name">The sample.</param>
    /// <returns>The path of its dll.</returns>
    public static string SamplePath(string name)
    {
        var metadata = typeof(SampleProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value);
        string dll = Path.Combine(metadata["SamplesDirectory"]!, name, "bin", metadata["SamplesConfiguration"]!, "net10.0", name + ".dll");
        if (!File.Exists(dll))
        {
            Assert.Fail($"The {name} sample is not built: {dll} is missing. Build the test project (it builds the samples).");
        }

        return dll;
    }

    /// <summary>
    /// Waits (bounded) for the <paramref name="occurrence"/>-th output line that matches (among the kept lines,
    /// when <see cref="SampleLaunch.KeepLastLines"/> limits them).
    /// </summary>
    /// <param name="match">The test.</param>
    /// <param name="occurrence">Which match to wait for (1 = the first).</param>
    /// <returns>The line.</returns>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, int occurrence = 1)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var found = _lines.Where(match).Skip(occurrence - 1).FirstOrDefault();
                if (found is not null)
                {
                    return found;
                }

                if (_streamsOpen == 0)
                {
                    Assert.Fail($"{_name} exited (code {ExitCodeOrNull()}) without printing the expected line. Output:\n{string.Join("\n", _lines)}");
                }

                changed = _changed.Task;
            }

            var left = Timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)) != changed)
            {
                Assert.Fail($"{_name} did not print the expected line within {Timeout.TotalSeconds} s. Output:\n{Output}");
            }
        }
    }

    /// <summary>Waits (bounded) for a line containing <paramref name="text"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="occurrence">Which match to wait for (1 = the first).</param>
    /// <returns>The line.</returns>
    public Task<string> WaitForLineAsync(string text, int occurrence = 1) =>
        WaitForLineAsync(l => l.Contains(text, StringComparison.Ordinal), occurrence);

    /// <summary>Writes <paramref name="text"/> (UTF-8) to the process's standard input, bounded by <see cref="Timeout"/>.</summary>
    /// <param name="text">The text, with its own line ends.</param>
    /// <returns>A task that completes once the text is written.</returns>
    public async Task SendAsync(string text)
    {
        var input = _process.StandardInput.BaseStream;
        await input.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text)).AsTask().WaitAsync(Timeout);
        await input.FlushAsync().WaitAsync(Timeout);
    }

    /// <summary>Sends a signal (SIGINT, SIGTERM) to the process.</summary>
    /// <param name="signal">The signal number.</param>
    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
        {
            Assert.Fail($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits (bounded) for the process to exit and for all its output.</summary>
    /// <returns>The exit code.</returns>
    public async Task<int> WaitForExitAsync()
    {
        var exited = _process.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(Timeout)) != exited)
        {
            Assert.Fail($"{_name} did not exit within {Timeout.TotalSeconds} s. Output:\n{Output}");
        }

        await exited; // also waits for the end of the redirected output
        return _process.ExitCode;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(Timeout);
            }
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }
        finally
        {
            _log?.WriteLine($"--- {_name} output ---\n{Output}");
            _process.Dispose();
        }
    }

    /// <summary>Signal numbers on Linux.</summary>
    public static class Signals
    {
        /// <summary>Ctrl+C.</summary>
        public const int SIGINT = 2;

        /// <summary>A polite request to stop (what <c>kill</c>, systemd and docker send).</summary>
        public const int SIGTERM = 15;
    }

    [GeneratedRegex(@"^listening on (?:\[[^\]]+\]|[^\s:]+):(\d+)$")]
    private static partial Regex ListeningTcp();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    private string ExitCodeOrNull()
    {
        try
        {
            return _process.HasExited ? _process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "running";
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    private void OnLine(string? line, string prefix)
    {
        lock (_gate)
        {
            if (line is null)
            {
                _streamsOpen--;
            }
            else
            {
                _lines.Enqueue(prefix + line);
                _linesSeen++;
                if (prefix.Length > 0)
                {
                    _errorLinesSeen++;
                }

                if (_lines.Count > _keepLastLines)
                {
                    _lines.Dequeue();
                }
            }

            var changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
        }
    }
}

/// <summary>How to start a sample, beyond its arguments.</summary>
public sealed record SampleLaunch
{
    /// <summary>Keep everything, run it directly.</summary>
    public static readonly SampleLaunch Default = new();

    /// <summary>
    /// Keep only this many of the last output lines (null: keep all). For a server that prints a line per event
    /// under load: its output is still drained as it comes (so it never blocks on a full pipe), but the test's
    /// memory stays bounded. <see cref="SampleProcess.LinesSeen"/> still counts every line.
    /// </summary>
    public int? KeepLastLines { get; init; }

    /// <summary>
    /// A command to run the sample under, such as <c>["prlimit", "--nofile=256:256"]</c>: it is started with these
    /// arguments followed by <c>dotnet Name.dll args</c> (or <see cref="Program"/>). It must exec the program (as prlimit, nice and taskset do)
    /// so that <see cref="SampleProcess.Id"/> is the sample's own process id. Empty: run <c>dotnet</c> directly.
    /// </summary>
    public IReadOnlyList<string> Wrapper { get; init; } = [];

    /// <summary>
    /// A program to run instead of <c>dotnet Name.dll</c>, such as a sample published with Native AOT. Null: the
    /// sample's built dll under <c>dotnet</c>.
    /// </summary>
    public string? Program { get; init; }
}
