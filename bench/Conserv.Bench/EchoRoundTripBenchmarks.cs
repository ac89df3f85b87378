using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Conserv.Bench.Servers;

namespace Conserv.Bench;

/// <summary>
/// Ping-pong over loopback through each echo server, one persistent connection, in one process. The
/// client is a blocking socket that allocates nothing, and MemoryDiagnoser counts every thread's
/// allocations (GC.GetTotalAllocatedBytes), so Allocated is what the server allocates per round trip:
/// one read and one write.
/// </summary>
[MemoryDiagnoser]
public class EchoRoundTripBenchmarks
{
    private IEchoServer? _server;
    private EchoClient? _client;

    // conserv: EchoDriver (Features = ByteData); conserv-plain: the same echo keeping the default Features
    // (ByteData | OutputEmpty), so the output-empty round runs after every write.
    [Params("conserv", "conserv-plain", "kestrel", "dotnetty", "socket")]
    public string Impl { get; set; } = "conserv";

    [Params(64, 4096)]
    public int Size { get; set; } = 64;

    [GlobalSetup]
    public void Setup()
    {
        // One I/O thread for every implementation, as with Conserv's single loop.
        _server = EchoServerFactory.Create(Impl, threads: 1);
        _server.StartAsync(0).GetAwaiter().GetResult();
        _client = new EchoClient(_server.Port, Size);
        for (int i = 0; i < 1000; i++)
        {
            _client.RoundTrip();
        }

        if (!_client.LastEchoMatches())
        {
            throw new InvalidOperationException($"{Impl} did not echo the message exactly.");
        }
    }

    [Benchmark]
    public byte RoundTrip() => _client!.RoundTrip();

    [GlobalCleanup]
    public void Cleanup()
    {
        _client?.Dispose();
        if (_server is not null)
        {
            Task.Run(async () => await _server.DisposeAsync()).Wait(TimeSpan.FromSeconds(10));
        }
    }
}
