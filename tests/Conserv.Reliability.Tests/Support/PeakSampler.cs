using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Reliability.Tests.Support;

/// <summary>
/// Reads a process's figures every 50 ms in the background and keeps the highest VmRSS and descriptor count
/// seen, until disposed (VmHWM alone cannot tell what happened during a phase: it holds the warm-up's peak too).
/// </summary>
public sealed class PeakSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peakRssKiB;
    private int _peakDescriptors;
    private int _peakSockets;

    /// <summary>Starts sampling <paramref name="pid"/>.</summary>
    /// <param name="pid">The process.</param>
    public PeakSampler(int pid)
    {
        Sample(pid);
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(50, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                Sample(pid);
            }
        });
    }

    /// <summary>The highest VmRSS seen, in KiB.</summary>
    public long PeakRssKiB => Interlocked.Read(ref _peakRssKiB);

    /// <summary>The highest VmRSS seen, in MiB.</summary>
    public double PeakRssMiB => PeakRssKiB / 1024.0;

    /// <summary>The most descriptors seen.</summary>
    public int PeakDescriptors => Volatile.Read(ref _peakDescriptors);

    /// <summary>The most sockets seen.</summary>
    public int PeakSockets => Volatile.Read(ref _peakSockets);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private void Sample(int pid)
    {
        ProcessFigures f;
        try
        {
            f = ProcFs.Snapshot(pid);
        }
        catch (IOException)
        {
            return; // gone: the test notices that itself
        }

        long rss;
        while (f.RssKiB > (rss = Interlocked.Read(ref _peakRssKiB)) && Interlocked.CompareExchange(ref _peakRssKiB, f.RssKiB, rss) != rss)
        {
        }

        int d;
        while (f.Descriptors > (d = Volatile.Read(ref _peakDescriptors)) && Interlocked.CompareExchange(ref _peakDescriptors, f.Descriptors, d) != d)
        {
        }

        int s;
        while (f.Sockets > (s = Volatile.Read(ref _peakSockets)) && Interlocked.CompareExchange(ref _peakSockets, f.Sockets, s) != s)
        {
        }
    }
}
