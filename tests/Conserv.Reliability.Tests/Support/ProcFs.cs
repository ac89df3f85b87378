using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Reliability.Tests.Support;

/// <summary>What /proc says about a process at one moment.</summary>
/// <param name="Descriptors">Open file descriptors (entries of /proc/PID/fd).</param>
/// <param name="Sockets">How many of them are sockets (link target <c>socket:[…]</c>).</param>
/// <param name="RssKiB">Resident memory, VmRSS from /proc/PID/status, in KiB.</param>
/// <param name="PeakRssKiB">The highest resident memory so far, VmHWM, in KiB.</param>
/// <param name="Threads">Threads, from /proc/PID/status.</param>
public readonly record struct ProcessFigures(int Descriptors, int Sockets, long RssKiB, long PeakRssKiB, int Threads)
{
    /// <summary>Resident memory in MiB.</summary>
    public double RssMiB => RssKiB / 1024.0;

    /// <summary>Peak resident memory in MiB.</summary>
    public double PeakRssMiB => PeakRssKiB / 1024.0;

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"fds {Descriptors} (sockets {Sockets}), VmRSS {RssMiB:F1} MiB, VmHWM {PeakRssMiB:F1} MiB, threads {Threads}");
}

/// <summary>
/// Reads another process's descriptors and memory from /proc (Linux only): for a server running as a child
/// process, whose leaks and growth a test checks from outside.
/// </summary>
public static class ProcFs
{
    /// <summary>Reads the figures of process <paramref name="pid"/> now.</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>Its descriptors and memory.</returns>
    /// <exception cref="IOException">The process is gone (or /proc cannot be read).</exception>
    public static ProcessFigures Snapshot(int pid)
    {
        var (descriptors, sockets) = CountDescriptors(pid);
        long rss = 0, hwm = 0;
        int threads = 0;
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = KiB(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = KiB(line);
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line.AsSpan("Threads:".Length).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return new ProcessFigures(descriptors, sockets, rss, hwm, threads);
    }

    /// <summary>Counts the open descriptors of <paramref name="pid"/>, and those that are sockets.</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>All descriptors, and sockets.</returns>
    public static (int Descriptors, int Sockets) CountDescriptors(int pid)
    {
        int descriptors = 0, sockets = 0;
        try
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                string? target;
                try
                {
                    target = new FileInfo(entry).LinkTarget;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue; // closed between listing and reading: not open any more
                }

                if (target is null)
                {
                    continue; // likewise: a descriptor closed while the server lets many go at once
                }

                descriptors++;
                if (target.StartsWith("socket:", StringComparison.Ordinal))
                {
                    sockets++;
                }
            }
        }
        catch (DirectoryNotFoundException e)
        {
            throw new IOException($"process {pid} is gone (no /proc/{pid}/fd)", e);
        }

        return (descriptors, sockets);
    }

    /// <summary>The soft limit on open files of <paramref name="pid"/> ("Max open files" in /proc/PID/limits), or null when unlimited.</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>The limit.</returns>
    public static long? OpenFileLimit(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                string soft = line["Max open files".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return soft == "unlimited" ? null : long.Parse(soft, CultureInfo.InvariantCulture);
            }
        }

        throw new IOException($"no 'Max open files' line in /proc/{pid}/limits");
    }

    /// <summary>
    /// Polls <paramref name="pid"/> every 50 ms until <paramref name="done"/> holds or <paramref name="timeout"/>
    /// passes, and returns the last figures either way (the caller asserts on them, so a failure shows the real values).
    /// </summary>
    /// <param name="pid">The process id.</param>
    /// <param name="done">The condition waited for.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Stops the wait early.</param>
    /// <returns>The last figures read, and whether <paramref name="done"/> held for them.</returns>
    public static async Task<(ProcessFigures Figures, bool Reached)> WaitUntilAsync(int pid, Func<ProcessFigures, bool> done, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var figures = Snapshot(pid);
            if (done(figures))
            {
                return (figures, true);
            }

            if (clock.Elapsed >= timeout || cancellationToken.IsCancellationRequested)
            {
                return (figures, false);
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    private static long KiB(string line)
    {
        // "VmRSS:	   32816 kB"
        var value = line.AsSpan(line.IndexOf(':') + 1).Trim();
        int space = value.IndexOf(' ');
        return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
    }
}
