using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GeneratorBench;

/// <summary>
/// Times source generators in one process: a cold run (a fresh compilation and a fresh generator driver) and an
/// incremental run after a one-line edit of one file, for Conserv's DriverGenerator and, over the same number of
/// items, the SDK's [GeneratedRegex] and [LoggerMessage] generators. Also counts the characters each generates.
/// </summary>
internal static class Program
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    private static int Main(string[] args)
    {
        int reps = IntOption(args, "--reps", 5);
        string? baseline = Option(args, "--baseline"); // a Conserv.Generators.dll built from another commit, timed beside this one
        string? only = Option(args, "--only"); // e.g. "1000x8"
        string sdkPacks = Option(args, "--packs") ?? FindPacks();
        bool sealedDrivers = args.Contains("--sealed"); // Conserv's drivers sealed (the other generators' sources are unchanged)
        if (args.Contains("--steps"))
        {
            // Where the time goes, per tracked step of this commit's generator. Step tracking is expensive itself (it
            // multiplies the totals), so this shows where, not how much.
            foreach ((int files, int perFile) in new[] { (1000, 8), (100, 64) })
            {
                PrintSteps($"{files}x{perFile}", Sources.Conserv(files, perFile));
            }

            return 0;
        }

        var generators = new List<NamedGenerator>
        {
            new("none (floor)", "conserv", new NoOpGenerator().AsSourceGenerator()),
            new("Conserv", "conserv", new Conserv.Generators.DriverGenerator().AsSourceGenerator()),
        };
        if (baseline is not null)
        {
            generators.Add(new("Conserv (baseline)", "conserv", LoadGenerator(baseline, "Conserv.Generators.DriverGenerator", isolated: true)));
        }

        generators.Add(new("[GeneratedRegex]", "regex", LoadGenerator(Latest(sdkPacks, "Microsoft.NETCore.App.Ref", "System.Text.RegularExpressions.Generator.dll"), "System.Text.RegularExpressions.Generator.RegexGenerator", isolated: false)));
        generators.Add(new("[LoggerMessage]", "logging", LoadGenerator(Latest(sdkPacks, "Microsoft.AspNetCore.App.Ref", "Microsoft.Extensions.Logging.Generators.dll"), "Microsoft.Extensions.Logging.Generators.LoggerMessageGenerator", isolated: false)));

        Console.WriteLine($"# Generator benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine();
        Console.WriteLine(sealedDrivers ? "Conserv's drivers are sealed." : "Conserv's drivers are not sealed.");
        Console.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, Roslyn {typeof(Compilation).Assembly.GetName().Version}, {reps} repetitions (median; min in brackets), server GC {System.Runtime.GCSettings.IsServerGC}");
        foreach (NamedGenerator g in generators)
        {
            Assembly assembly = g.Generator.GetGeneratorType().Assembly;
            string? version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            Version? roslyn = assembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == "Microsoft.CodeAnalysis")?.Version;
            Console.WriteLine($"- {g.Name}: {assembly.Location} ({version}; built against Roslyn {roslyn})");
        }

        Console.WriteLine();
        Console.WriteLine("| scenario | generator | items | cold ms | edit ms | generated chars | chars/item | load avg (1 min) before/after | steal % |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |");

        foreach ((int files, int perFile) in new[] { (1000, 8), (100, 64) })
        {
            string scenario = $"{files}x{perFile}";
            if (only is not null && only != scenario)
            {
                continue;
            }

            var sources = new Dictionary<string, Source>
            {
                ["conserv"] = Sources.Conserv(files, perFile, sealedDrivers),
                ["regex"] = Sources.Regex(files, perFile),
                ["logging"] = Sources.Logging(files, perFile),
            };

            // One untimed run each first: JIT, and the generators' own static caches.
            foreach (NamedGenerator g in generators)
            {
                Measure(g, sources[g.Kind]);
            }

            var cold = generators.ToDictionary(g => g, _ => new List<double>());
            var edit = generators.ToDictionary(g => g, _ => new List<double>());
            var chars = new Dictionary<NamedGenerator, long>();
            string loadBefore = LoadAverage();
            CpuTimes cpuBefore = CpuTimes.Read();
            for (int rep = 0; rep < reps; rep++)
            {
                // Rotate the order so no generator always runs right after the same one.
                for (int k = 0; k < generators.Count; k++)
                {
                    NamedGenerator g = generators[(k + rep) % generators.Count];
                    Run run = Measure(g, sources[g.Kind]);
                    cold[g].Add(run.ColdMs);
                    edit[g].Add(run.EditMs);
                    chars[g] = run.Chars;
                }
            }

            string loadAfter = LoadAverage();
            double steal = CpuTimes.Read().StealPercentSince(cpuBefore);
            foreach (NamedGenerator g in generators)
            {
                int items = files * perFile;
                Console.WriteLine(
                    $"| {scenario} | {g.Name} | {items} | {Median(cold[g]):F0} [{cold[g].Min():F0}] | {Median(edit[g]):F1} [{edit[g].Min():F1}] | {chars[g]:N0} | {(double)chars[g] / items:F0} | {loadBefore} / {loadAfter} | {steal:F1} |");
            }
        }

        return 0;
    }

    /// <summary>One cold run on a fresh compilation, then the run after the edit, with the same driver.</summary>
    private static Run Measure(NamedGenerator generator, Source source)
    {
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Bench",
            source.Trees,
            Sources.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { generator.Generator }, parseOptions: ParseOptions);

        Settle();
        var watch = Stopwatch.StartNew();
        driver = driver.RunGenerators(compilation);
        double coldMs = watch.Elapsed.TotalMilliseconds;

        GeneratorDriverRunResult result = driver.GetRunResult();
        if (result.Results.Single().Exception is { } exception)
        {
            throw new InvalidOperationException($"{generator.Name} threw", exception);
        }

        long chars = result.Results.Single().GeneratedSources.Sum(s => (long)s.SourceText.Length);
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(source.Trees[0], source.EditedFirstTree);
        Settle();
        watch.Restart();
        driver = driver.RunGenerators(edited);
        double editMs = watch.Elapsed.TotalMilliseconds;
        if (driver.GetRunResult().Results.Single().Exception is { } editException)
        {
            throw new InvalidOperationException($"{generator.Name} threw after the edit", editException);
        }

        return new Run(coldMs, editMs, chars);
    }

    private static void PrintSteps(string scenario, Source source)
    {
        for (int round = 0; round < 2; round++)
        {
            CSharpCompilation compilation = CSharpCompilation.Create("Bench", source.Trees, Sources.References, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
            GeneratorDriver driver = CSharpGeneratorDriver.Create(
                new[] { new Conserv.Generators.DriverGenerator().AsSourceGenerator() },
                parseOptions: ParseOptions,
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
            Settle();
            var watch = Stopwatch.StartNew();
            driver = driver.RunGenerators(compilation);
            double cold = watch.Elapsed.TotalMilliseconds;
            Report("cold", cold, driver.GetRunResult().Results.Single());
            CSharpCompilation edited = compilation.ReplaceSyntaxTree(source.Trees[0], source.EditedFirstTree);
            Settle();
            watch.Restart();
            driver = driver.RunGenerators(edited);
            Report("edit", watch.Elapsed.TotalMilliseconds, driver.GetRunResult().Results.Single());
        }

        void Report(string run, double total, GeneratorRunResult result)
        {
            Console.WriteLine($"{scenario} {run}: {total:F0} ms in all");
            foreach (var step in result.TrackedSteps.Concat(result.TrackedOutputSteps).OrderByDescending(s => s.Value.Sum(x => x.ElapsedTime.Ticks)))
            {
                Console.WriteLine($"  {step.Key}: {step.Value.Sum(x => x.ElapsedTime.TotalMilliseconds):F1} ms over {step.Value.Length} runs");
            }
        }
    }

    /// <summary>Collects the previous run's garbage before a timed run, so it is not charged to the next generator.</summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>Loads a generator from a file; isolated, a second copy of an assembly already loaded (another commit's Conserv.Generators) can be loaded beside it.</summary>
    private static ISourceGenerator LoadGenerator(string path, string typeName, bool isolated)
    {
        Assembly assembly = isolated
            ? new IsolatedContext().LoadFromAssemblyPath(Path.GetFullPath(path))
            : Assembly.LoadFrom(path);
        Type type = assembly.GetType(typeName, throwOnError: true)!;
        object instance = Activator.CreateInstance(type)!;
        return instance switch
        {
            IIncrementalGenerator incremental => incremental.AsSourceGenerator(),
            ISourceGenerator plain => plain,
            _ => throw new InvalidOperationException($"{typeName} is not a generator"),
        };
    }

    /// <summary>The SDK's packs folder, next to the running shared framework (dotnet/shared/Microsoft.NETCore.App/x.y.z/).</summary>
    private static string FindPacks()
    {
        string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return Path.GetFullPath(Path.Combine(runtime, "..", "..", "..", "packs"));
    }

    /// <summary>The file in the newest version (of this runtime's major version) of a targeting pack's C# analyzers.</summary>
    private static string Latest(string packs, string pack, string file)
    {
        string major = Environment.Version.Major.ToString(CultureInfo.InvariantCulture) + ".";
        string? version = Directory.GetDirectories(Path.Combine(packs, pack))
            .Select(Path.GetFileName)
            .Where(v => v!.StartsWith(major, StringComparison.Ordinal))
            .OrderBy(v => Version.TryParse(v, out Version? parsed) ? parsed : new Version())
            .LastOrDefault();
        return version is null
            ? throw new FileNotFoundException($"no {pack} {major}x in {packs} (pass --packs)")
            : Path.Combine(packs, pack, version, "analyzers", "dotnet", "cs", file);
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static double Median(List<double> values)
    {
        double[] sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int IntOption(string[] args, string name, int fallback) =>
        Option(args, name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    /// <summary>
    /// The floor: a generator that looks for an attribute nobody uses. What it costs is the generator driver's and the
    /// compiler's own work on a fresh (or edited) compilation, which every generator above pays too.
    /// </summary>
    private sealed class NoOpGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<int> none = context.SyntaxProvider.ForAttributeWithMetadataName(
                "Bench.NoSuchAttribute", static (_, _) => true, static (_, _) => 0);
            context.RegisterSourceOutput(none, static (_, _) => { });
        }
    }

    private sealed record NamedGenerator(string Name, string Kind, ISourceGenerator Generator);

    private readonly record struct Run(double ColdMs, double EditMs, long Chars);

    /// <summary>Loads one assembly on its own; everything it references (Roslyn) comes from the default context.</summary>
    private sealed class IsolatedContext : AssemblyLoadContext
    {
        protected override Assembly? Load(AssemblyName assemblyName) => null;
    }

    /// <summary>The aggregate CPU line of /proc/stat, to report the hypervisor's steal over a measurement.</summary>
    private readonly record struct CpuTimes(long Total, long Steal)
    {
        public static CpuTimes Read()
        {
            if (!File.Exists("/proc/stat"))
            {
                return default;
            }

            long[] fields = File.ReadLines("/proc/stat").First()
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Skip(1)
                .Take(8) // user nice system idle iowait irq softirq steal (guest time is already in user)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture))
                .ToArray();
            return new CpuTimes(fields.Sum(), fields[7]);
        }

        public double StealPercentSince(CpuTimes before) =>
            Total == before.Total ? 0 : 100.0 * (Steal - before.Steal) / (Total - before.Total);
    }
}
