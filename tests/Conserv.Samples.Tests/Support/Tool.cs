using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Samples.Tests.Support;

/// <summary>What a command-line tool did.</summary>
/// <param name="ExitCode">Its exit code.</param>
/// <param name="Stdout">What it printed on standard output, as bytes.</param>
/// <param name="Stderr">What it printed on standard error.</param>
public sealed record ToolResult(int ExitCode, byte[] Stdout, string Stderr)
{
    /// <summary>Standard output as UTF-8 text.</summary>
    public string Text => Encoding.UTF8.GetString(Stdout);

    /// <inheritdoc/>
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Tool.Tail(Stdout)}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs a real, independent client (redis-cli, curl, socat, nc, openssl), or prlimit, installed from the distribution. A
/// missing tool fails the test with the package to install; every run is bounded by <see cref="SampleProcess.Timeout"/>.
/// </summary>
public static class Tool
{
    /// <summary>Runs <paramref name="tool"/> and returns what it printed.</summary>
    /// <param name="tool">The program: redis-cli, curl, socat, nc or openssl.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="stdin">Bytes to send to its standard input (which is then closed), or null for none.</param>
    /// <returns>Its exit code and output.</returns>
    public static async Task<ToolResult> RunAsync(string tool, string[] args, byte[]? stdin = null)
    {
        var info = new ProcessStartInfo(Require(tool))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(SampleProcess.Timeout);
        var stdout = new MemoryStream();
        var reading = process.StandardOutput.BaseStream.CopyToAsync(stdout, timeout.Token);
        var readingErrors = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            if (stdin is not null)
            {
                try
                {
                    await process.StandardInput.BaseStream.WriteAsync(stdin, timeout.Token);
                }
                catch (IOException)
                {
                    // The tool exited before reading all its input; its output tells why.
                }
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            await reading;
            return new ToolResult(process.ExitCode, stdout.ToArray(), await readingErrors);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} {string.Join(' ', args)} did not finish within {SampleProcess.Timeout.TotalSeconds} s. Last stdout:\n{Tail(stdout.ToArray())}");
            throw;
        }
    }

    /// <summary>The end of some output, for a failure message.</summary>
    /// <param name="output">The output.</param>
    /// <returns>Its last 2000 bytes as text.</returns>
    public static string Tail(byte[] output) =>
        (output.Length > 2000 ? $"[{output.Length - 2000} bytes before]…" : "") + Encoding.UTF8.GetString(output[Math.Max(0, output.Length - 2000)..]);

    /// <summary>Runs <paramref name="tool"/> with text input.</summary>
    /// <param name="tool">The program.</param>
    /// <param name="stdin">The text to send (UTF-8).</param>
    /// <param name="args">Its arguments.</param>
    /// <returns>Its exit code and output.</returns>
    public static Task<ToolResult> RunAsync(string tool, string stdin, params string[] args) =>
        RunAsync(tool, args, Encoding.UTF8.GetBytes(stdin));

    /// <summary>Finds <paramref name="tool"/> on the PATH, or fails the test saying which package to install.</summary>
    /// <param name="tool">The program.</param>
    /// <returns>Its full path.</returns>
    public static string Require(string tool)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        string package = tool switch
        {
            "redis-cli" => "redis-tools",
            "nc" => "netcat-openbsd",
            "prlimit" => "util-linux",
            _ => tool,
        };
        Assert.Fail($"'{tool}' is not installed, and the samples' end-to-end tests talk to the servers through it. Install it: apt-get install -y {package}");
        return tool;
    }
}
