using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Bench.Servers;

namespace Conserv.Bench;

/// <summary>
/// Measures what the Conserv echo hot path allocates: bytes allocated on the loop thread
/// (<see cref="GC.GetAllocatedBytesForCurrentThread"/>, read on the loop before and after) and in the
/// whole process (<see cref="GC.GetTotalAllocatedBytes(bool)"/>) across many round trips.
/// </summary>
public static class AllocationProbe
{
    /// <summary>Runs the probe for 64 B and 4 KiB messages and prints bytes per echo.</summary>
    /// <param name="roundTrips">Round trips measured per size.</param>
    /// <returns>0 if the loop thread allocated nothing per echo, 1 otherwise.</returns>
    public static int Run(int roundTrips)
    {
        bool clean = true;
        foreach (int size in new[] { 64, 4096 })
        {
            clean &= Probe("EchoDriver (ByteData only)", () => new EchoDriver(), size, roundTrips);
            clean &= Probe("PlainEchoDriver (default Features: ByteData | OutputEmpty)", () => new PlainEchoDriver(), size, roundTrips);
        }

        Console.WriteLine(clean
            ? "Conserv echo hot path: no allocation per read/write on the loop thread."
            : "Conserv echo hot path ALLOCATES per read/write on the loop thread (see above).");
        return clean ? 0 : 1;
    }

    private static bool Probe(string driverName, Func<ISocketEventDriver> driver, int size, int roundTrips)
    {
        var server = new ConservEchoServer(groupLoops: null, driver);
        server.StartAsync(0).GetAwaiter().GetResult();
        var loop = server.Loop!;
        try
        {
            using var client = new EchoClient(server.Port, size);
            for (int i = 0; i < 20_000; i++)
            {
                client.RoundTrip(); // warm: tiering, pools, the socket's first write
            }

            using var listener = new AllocationTypeListener();
            long loopBefore = OnLoop(loop, GC.GetAllocatedBytesForCurrentThread);
            long processBefore = GC.GetTotalAllocatedBytes(precise: true);
            int gen0Before = GC.CollectionCount(0);
            for (int i = 0; i < roundTrips; i++)
            {
                client.RoundTrip();
            }

            long processAfter = GC.GetTotalAllocatedBytes(precise: true);
            long loopAfter = OnLoop(loop, GC.GetAllocatedBytesForCurrentThread);
            int gen0 = GC.CollectionCount(0) - gen0Before;
            if (!client.LastEchoMatches())
            {
                throw new InvalidOperationException("The echo differed from the message.");
            }

            // The two OnLoop reads themselves allocate a little (a posted closure, a task): under a few hundred
            // bytes in all, i.e. well under one byte per echo at this count.
            double loopPerEcho = (double)(loopAfter - loopBefore) / roundTrips;
            double processPerEcho = (double)(processAfter - processBefore) / roundTrips;
            Console.WriteLine($"{driverName}, {size,5} B x {roundTrips:N0} echoes: loop thread {loopAfter - loopBefore:N0} B ({loopPerEcho:F3} B/echo), " +
                $"whole process {processAfter - processBefore:N0} B ({processPerEcho:F3} B/echo), gen0 GCs {gen0}");
            if (loopPerEcho >= 1)
            {
                Console.WriteLine("    types allocated (GC AllocationTick samples, about one per 100 KB): " +
                    string.Join(", ", listener.Types().Select(t => $"{t.Type} x{t.Ticks}")));
            }

            return loopPerEcho < 1;
        }
        finally
        {
            server.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Reads a value on the loop thread.</summary>
    internal static long OnLoop(EventLoop loop, Func<long> read)
    {
        var result = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() => result.SetResult(read()));
        return result.Task.Wait(TimeSpan.FromSeconds(10)) ? result.Task.Result : throw new TimeoutException("The loop did not answer.");
    }
}
