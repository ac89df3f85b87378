using System;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace Conserv.Bench;

/// <summary>
/// dotnet run -c Release --project bench/Conserv.Bench -- --filter '*'            (full BenchmarkDotNet runs)
/// dotnet run -c Release --project bench/Conserv.Bench -- --filter '*' --quick    (a couple of minutes)
/// dotnet run -c Release --project bench/Conserv.Bench -- --alloc-probe [N]       (loop-thread allocation per echo)
/// dotnet run -c Release --project bench/Conserv.Bench -- --alloc-probe-tls [N]   (the same through TcpServerOptions.Tls)
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--alloc-probe")
        {
            int roundTrips = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
            return AllocationProbe.Run(roundTrips);
        }

        if (args.Length > 0 && args[0] == "--alloc-probe-tls")
        {
            int roundTrips = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
            return TlsAllocationProbe.Run(roundTrips);
        }

        IConfig config = DefaultConfig.Instance;
        if (args.Contains("--quick"))
        {
            args = args.Where(a => a != "--quick").ToArray();
            config = config.AddJob(Job.Default
                .WithLaunchCount(1)
                .WithWarmupCount(2)
                .WithIterationCount(5)
                .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250))
                .WithId("Quick"));
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }
}
