using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Analyzers;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Conserv.Generators.Tests;

/// <summary>
/// A bounded, deterministic fuzz test (issue 11, "How it is shown"): the snapshot drivers (the inputs of
/// <see cref="SnapshotTests"/> and the generated <c>Snapshots/*.verified.cs</c>, read as user code) and randomly generated
/// valid drivers, each also mutated and truncated with fixed seeds. For every input: the generator throws nothing and
/// reports nothing, no analyzer throws (AD0001), and when the input compiles without errors, so does the output with the
/// generated code (and a generated valid driver gets no Conserv error either).
/// </summary>
public class FuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Seed = 11;
    private const int RandomDrivers = 40;
    private const int MutantsPerSnapshotInput = 6;
    private const int MutantsPerRandomDriver = 3;

    private const string Usings = """
        using System;
        using System.IO;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;
        using Conserv;

        """;

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    /// <summary>One compilation whose references every case reuses (binding .NET's reference assemblies once).</summary>
    private static readonly CSharpCompilation Template = GeneratorHarness.Compile("Fuzz", GeneratorHarness.DefaultReferences);

    private static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = typeof(DriverBindingAnalyzer).Assembly.GetTypes()
        .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    [Fact]
    public void NoInputCrashesTheGeneratorOrAnAnalyzerAndEveryValidInputsOutputCompiles()
    {
        var random = new Random(Seed);
        var cases = new List<(string Name, string Source, bool MustBeValid)>();

        List<(string Name, string Source)> snapshots = SnapshotInputs().ToList();
        Assert.True(snapshots.Count >= 20, $"only {snapshots.Count} snapshot inputs found");
        foreach ((string name, string source) in snapshots)
        {
            cases.Add((name, source, false));
            for (int i = 0; i < MutantsPerSnapshotInput; i++)
            {
                cases.Add(($"{name} mutant {i}", Mutate(source, random), false));
            }
        }

        for (int i = 0; i < RandomDrivers; i++)
        {
            string source = RandomDriverSource(random, i);
            cases.Add(($"random driver {i}", source, true));
            for (int j = 0; j < MutantsPerRandomDriver; j++)
            {
                cases.Add(($"random driver {i} mutant {j}", Mutate(source, random), false));
            }
        }

        // Each case is independent and deterministic; run them on both cores.
        TimeSpan cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var failures = new ConcurrentBag<(string Kind, string Text)>();
        int valid = 0, validMutants = 0;
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, c =>
        {
            if (Check(c.Source, c.MustBeValid, out bool inputCompiles) is { } failure)
            {
                failures.Add((failure[..failure.IndexOf(':')], $"{c.Name}: {failure}\n--- input ---\n{c.Source}\n"));
            }
            else if (c.MustBeValid)
            {
                Interlocked.Increment(ref valid);
            }
            else if (inputCompiles)
            {
                Interlocked.Increment(ref validMutants);
            }
        });

        output.WriteLine($"{cases.Count} cases, {validMutants} compiling mutants: {clock.Elapsed.TotalSeconds:F1} s, {(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s of CPU");
        Assert.True(
            failures.IsEmpty,
            $"{failures.Count} of {cases.Count} cases failed ("
                + string.Join(", ", failures.GroupBy(f => f.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} × {g.Key}"))
                + "):\n" + string.Join("\n", failures.OrderBy(f => f.Text, StringComparer.Ordinal).Take(3).Select(f => f.Text)));
        Assert.Equal(RandomDrivers, valid);

        // Enough mutants still compile for the "valid input, compiling output" check to mean something beyond the random drivers.
        Assert.True(validMutants >= 25, $"only {validMutants} mutants compile");
    }

    /// <summary>What is wrong with the generator or the analyzers on <paramref name="source"/>, or null.</summary>
    private static string? Check(string source, bool mustBeValid, out bool inputCompiles)
    {
        SyntaxTree tree = CSharpSyntaxTree.ParseText(source, ParseOptions, path: "Fuzz.cs");
        CSharpCompilation input = Template.AddSyntaxTrees(tree);

        // Most mutants do not parse: then binding every method body for its errors is wasted work.
        Diagnostic[] inputErrors = tree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        if (inputErrors.Length == 0)
        {
            inputErrors = input.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        }

        inputCompiles = inputErrors.Length == 0;
        if (mustBeValid && inputErrors.Length > 0)
        {
            return "the generated valid driver does not compile by itself: " + string.Join("; ", inputErrors.Take(3));
        }

        GeneratorDriver driver = CSharpGeneratorDriver.Create([new DriverGenerator().AsSourceGenerator()], parseOptions: ParseOptions)
            .RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        GeneratorRunResult run = Assert.Single(driver.GetRunResult().Results);
        if (run.Exception is not null || !generatorDiagnostics.IsEmpty)
        {
            return "the generator failed: " + (run.Exception?.ToString() ?? string.Join("; ", generatorDiagnostics));
        }

        var exceptions = new ConcurrentBag<string>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions([]),
            (exception, analyzer, _) => exceptions.Add($"{analyzer.GetType().Name}: {exception}"),
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false);
        CompilationWithAnalyzers analyzed = output.WithAnalyzers(Analyzers, options);
        ImmutableArray<Diagnostic> all = (inputCompiles ? analyzed.GetAllDiagnosticsAsync() : analyzed.GetAnalyzerDiagnosticsAsync()).GetAwaiter().GetResult();
        if (!exceptions.IsEmpty || all.Any(d => d.Id == "AD0001"))
        {
            return "an analyzer threw (AD0001): " + string.Join("; ", exceptions.Concat(all.Where(d => d.Id == "AD0001").Select(d => d.ToString())));
        }

        if (inputErrors.Length == 0)
        {
            Diagnostic[] errors = all.Where(d => d.Severity == DiagnosticSeverity.Error && (!d.Id.StartsWith("CONSERV", StringComparison.Ordinal) || mustBeValid)).ToArray();
            if (errors.Length > 0)
            {
                return "the output has errors: " + string.Join("; ", errors.Take(5))
                    + "\n--- generated ---\n" + string.Join("\n", run.GeneratedSources.Select(s => s.SourceText.ToString()));
            }
        }

        return null;
    }

    /// <summary>The drivers <see cref="SnapshotTests"/> verifies (its raw string inputs, with its usings) and the verified generated files.</summary>
    private static IEnumerable<(string Name, string Source)> SnapshotInputs([CallerFilePath] string thisFile = "")
    {
        string directory = Path.GetDirectoryName(thisFile)!;
        SyntaxNode root = CSharpSyntaxTree.ParseText(File.ReadAllText(Path.Combine(directory, "SnapshotTests.cs"))).GetRoot();
        int index = 0;
        foreach (SyntaxToken token in root.DescendantTokens())
        {
            if (token.IsKind(SyntaxKind.MultiLineRawStringLiteralToken) && token.ValueText.Contains("partial", StringComparison.Ordinal))
            {
                yield return ($"SnapshotTests input {index++}", Usings + token.ValueText);
            }
        }

        foreach (string file in Directory.EnumerateFiles(Path.Combine(directory, "Snapshots"), "*.verified.cs").Order(StringComparer.Ordinal))
        {
            yield return (Path.GetFileName(file), File.ReadAllText(file));
        }
    }

    private static readonly string[] Replacements =
    {
        "class", "event", "@class", "__arglist", "__ConservHandled", "__ConservX", "Exception", "string", "int", "object", "dynamic",
        "TcpServer", "TcpSocket", "TcpServer?", "Exception?", "ValueTask", "Task<int>", "void", "async", "static", "file", "partial",
        "null", "null!", "ReadOnlySpan<char>", "byte[]", "global::System.Exception", "Err<T>", "typeof(Exception)", "typeof(List<>)",
        "OnSocketData", "OnSocketClose", "OnSocketError", "OnServerError", "OnSocketError(null!)", "Obsolete(\"x\", true)", "ref",
        "record", "struct", "interface", "sealed", "abstract", "virtual", "override", "protected", "private", "ISocketEventDriver",
    };

    /// <summary>Members inserted after a line that opens a block: in a class body most still compile, and must still generate compiling code.</summary>
    private static readonly string[] Members =
    {
        "public int __ConservHandled;",
        "[OnSocketConnect] void Extra(TcpSocket socket) { }",
        "[OnSocketError(typeof(System.IO.IOException))] System.Threading.Tasks.ValueTask ExtraIo() => default;",
        "[System.Obsolete(\"x\")] [OnSocketEndOfFile] void ExtraEnd() { }",
        "[System.Obsolete(\"x\", true)] [OnSocketEndOfFile] void ExtraGone() { }",
        "[OnSocketData] void ExtraData(TcpSocket socket, int data) { }",
        "[OnSocketError(null!)] void ExtraNull() { }",
        "[OnSocketConnect] void ExtraArgs(TcpSocket socket, __arglist) { }",
        "[OnSocketClose] void __ConservClosed() { }",
        "[OnServerError(typeof(System.InvalidOperationException))] static void ExtraServer(System.Exception error) { }",
        "void Extra(System.Exception error) { }",
        "[OnSocketError(typeof(System.TimeoutException))] async System.Threading.Tasks.ValueTask ExtraDrop(System.Exception e) { while (e.Data.Count > 0) { try { await System.Threading.Tasks.Task.Yield(); } catch { SocketEvents.DropConnection(e); } } }",
        "[OnSocketEndOfFile] void ExtraWait(TcpSocket socket) { var t = System.Threading.Tasks.Task.FromResult(1); if (!t.IsCompleted) return; _ = t.Result; _ = new System.IO.StringReader(\"\").ReadLine(); }",
    };

    private static readonly string[] Insertions = { "{", "}", "(", ")", ";", ",", "<", ">", "[", "]", "@", "?", "!", "=>", "\"", "/*", "#if X\n", "\n#endif\n" };

    /// <summary>One to three seeded edits: a truncation (an IDE prefix), a removed, replaced or doubled token, an inserted symbol, a doubled or swapped line.</summary>
    private static string Mutate(string source, Random random)
    {
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits && source.Length > 0; e++)
        {
            List<SyntaxToken> tokens = CSharpSyntaxTree.ParseText(source, ParseOptions).GetRoot().DescendantTokens().Where(t => t.Span.Length > 0).ToList();
            string[] lines = source.Split('\n');
            switch (random.Next(9))
            {
                case 7 or 8:
                    int[] openers = Enumerable.Range(0, lines.Length).Where(i => lines[i].TrimEnd().EndsWith('{')).ToArray();
                    if (openers.Length > 0)
                    {
                        int at = openers[random.Next(openers.Length)];
                        source = string.Join("\n", lines.Take(at + 1).Append(Members[random.Next(Members.Length)]).Concat(lines.Skip(at + 1)));
                    }

                    break;
                case 0:
                    source = source[..random.Next(source.Length)];
                    break;
                case 1 when tokens.Count > 0:
                    SyntaxToken removed = tokens[random.Next(tokens.Count)];
                    source = source.Remove(removed.SpanStart, removed.Span.Length);
                    break;
                case 2 when tokens.Count > 0:
                    SyntaxToken replaced = tokens[random.Next(tokens.Count)];
                    source = source.Remove(replaced.SpanStart, replaced.Span.Length).Insert(replaced.SpanStart, Replacements[random.Next(Replacements.Length)]);
                    break;
                case 3 when tokens.Count > 0:
                    SyntaxToken doubled = tokens[random.Next(tokens.Count)];
                    source = source.Insert(doubled.Span.End, " " + doubled.Text);
                    break;
                case 4:
                    source = source.Insert(random.Next(source.Length + 1), Insertions[random.Next(Insertions.Length)]);
                    break;
                case 5:
                    int line = random.Next(lines.Length);
                    source = string.Join("\n", lines.Take(line + 1).Append(lines[line]).Concat(lines.Skip(line + 1)));
                    break;
                default:
                    int a = random.Next(lines.Length), b = random.Next(lines.Length);
                    (lines[a], lines[b]) = (lines[b], lines[a]);
                    source = string.Join("\n", lines);
                    break;
            }
        }

        return source;
    }

    private static readonly string[] ExceptionTypes =
    {
        "Exception", "IOException", "SocketException", "InvalidOperationException", "TimeoutException",
        "EndOfStreamException", "FormatException", "ArgumentException", "Local.PrivateError", "InternalError", "PrivateError",
    };

    /// <summary>
    /// A valid program of one to three drivers (a later one may derive from an earlier one): random events, parameter
    /// subsets in random order, return kinds, modifiers, generic, nested, sealed or abstract drivers, keyword names.
    /// </summary>
    private static string RandomDriverSource(Random random, int index)
    {
        var w = new StringBuilder(Usings);
        bool fileScoped = random.Next(3) == 0;
        string ns = random.Next(4) == 0 ? $"Fuzz{index}.@class" : $"Fuzz{index}";
        w.AppendLine(fileScoped ? $"namespace {ns};" : $"namespace {ns} {{");
        w.AppendLine("internal sealed class InternalError : Exception { }");
        w.AppendLine("internal static class Local { internal sealed class PrivateError : Exception { } }");

        int drivers = random.Next(1, 4);
        string? previous = null;
        bool previousSealed = false;
        for (int d = 0; d < drivers; d++)
        {
            bool nested = random.Next(4) == 0;
            bool generic = random.Next(4) == 0;
            bool isSealed = random.Next(4) == 0;
            bool isAbstract = !isSealed && random.Next(5) == 0;
            string name = random.Next(5) == 0 ? new[] { "@checked", "@fixed", "@unsafe" }[d] : "Driver" + d;
            string? baseType = previous is not null && !previousSealed && random.Next(2) == 0 ? previous : null;
            if (nested)
            {
                w.AppendLine($"public partial class Outer{d} {{");
            }

            string modifiers = (isSealed ? "sealed " : isAbstract ? "abstract " : string.Empty) + "partial class";
            w.Append($"public {modifiers} {name}{(generic ? "<T>" : string.Empty)}");
            w.AppendLine(baseType is null ? " {" : $" : {baseType} {{");
            if (!generic)
            {
                w.AppendLine("private sealed class PrivateError : Exception { }"); // a private nested exception: derived drivers test it through the base
            }

            AppendHandlers(w, random, isSealed, generic);
            w.AppendLine("}");
            if (nested)
            {
                w.AppendLine("}");
            }

            // Only a non-generic, non-nested driver is named as a base (keeps the base's name simple to write).
            previous = !generic && !nested ? name : null;
            previousSealed = isSealed;
        }

        if (!fileScoped)
        {
            w.AppendLine("}");
        }

        return w.ToString();
    }

    private static void AppendHandlers(StringBuilder w, Random random, bool isSealed, bool generic)
    {
        // Handler names: H0, H1, …, and now and then a keyword (@class, @event, …), each at most once.
        int handler = 0;
        var keywords = new Queue<string>(new[] { "@class", "@event", "@base", "@record", "@async", "@var", "@operator", "@params" }.OrderBy(_ => random.Next()));
        string Name() => random.Next(5) == 0 && keywords.Count > 0 ? keywords.Dequeue() : "H" + handler++;

        void Handler(string attribute, IReadOnlyList<string> parameters, bool voidOnly, bool hasSpan)
        {
            string[] picked = parameters.Where(_ => random.Next(2) == 0).OrderBy(_ => random.Next()).ToArray();
            string access = new[] { "private ", "public ", "protected ", "internal ", string.Empty }[random.Next(5)];
            bool isStatic = random.Next(6) == 0;
            bool isVirtual = !isStatic && !isSealed && access is "public " or "protected " && random.Next(3) == 0;
            string modifiers = access + (isStatic ? "static " : string.Empty) + (isVirtual ? "virtual " : string.Empty);
            string body = (voidOnly ? 0 : random.Next(hasSpan ? 3 : 4)) switch
            {
                0 => "void {0}({1}) { }",
                1 => "ValueTask {0}({1}) => default;",
                2 => "Task {0}({1}) => Task.CompletedTask;",
                _ => "async ValueTask {0}({1}) { await Task.Yield(); }",
            };
            w.AppendLine($"[{attribute}] {modifiers}" + body.Replace("{0}", Name()).Replace("{1}", string.Join(", ", picked)));
        }

        string[] socket = { "TcpSocket socket", "TcpServer? server", "CancellationToken token" };
        string[] server = { "TcpServer server", "CancellationToken token" };
        if (random.Next(2) == 0)
        {
            Handler("OnSocketConnect", socket, false, false);
        }

        if (random.Next(2) == 0)
        {
            string data = new[] { "ReadOnlySpan<byte> data", "ReadOnlyMemory<byte> data", "byte[] data", "ArraySegment<byte> data" }[random.Next(4)];
            HandlerWith("OnSocketData", data);
        }

        if (random.Next(3) == 0)
        {
            string text = new[] { "string text", "ReadOnlySpan<char> text", "ReadOnlyMemory<char> text" }[random.Next(3)];
            HandlerWith("OnSocketData", text);
        }

        if (random.Next(2) == 0)
        {
            Handler("OnSocketEndOfFile", socket, false, false);
        }

        if (random.Next(3) == 0)
        {
            Handler(random.Next(2) == 0 ? "OnSocketOutputEmpty" : "OnSocketOutputEmpty(AtLowWaterMark = true)", socket, false, false);
        }

        if (random.Next(2) == 0)
        {
            Handler("OnSocketClose", socket.Append("Exception? cause").ToArray(), true, false);
        }

        ErrorHandlers("OnSocketError", socket);
        if (random.Next(3) == 0)
        {
            Handler("OnServerListen", server, false, false);
        }

        if (random.Next(3) == 0)
        {
            Handler("OnServerConnection", server.Append("TcpSocket client").ToArray(), false, false);
        }

        ErrorHandlers("OnServerError", server);
        if (random.Next(3) == 0)
        {
            Handler("OnServerClose", server, true, false);
        }

        void HandlerWith(string attribute, string data)
        {
            // The data parameter is always there; the others are a random subset, in random order.
            string[] others = socket.Where(_ => random.Next(2) == 0).ToArray();
            string[] all = others.Append(data).OrderBy(_ => random.Next()).ToArray();
            bool span = data.StartsWith("ReadOnlySpan", StringComparison.Ordinal);
            string body = random.Next(span ? 3 : 4) switch
            {
                0 => "void {0}({1}) { }",
                1 => "ValueTask {0}({1}) => default;",
                2 => "Task {0}({1}) => Task.CompletedTask;",
                _ => "async ValueTask {0}({1}) { await Task.Yield(); }",
            };
            w.AppendLine($"[{attribute}] " + body.Replace("{0}", Name()).Replace("{1}", string.Join(", ", all)));
        }

        void ErrorHandlers(string attribute, string[] common)
        {
            // A type nested in a generic driver cannot be an attribute argument (CS0416): generic drivers have no PrivateError.
            foreach (string type in ExceptionTypes.Where(t => random.Next(4) == 0 && !(generic && t == "PrivateError")))
            {
                string argument = type == "Exception" && random.Next(2) == 0 ? string.Empty : $"(typeof({type}))";
                string parameter = random.Next(3) switch { 0 => $"{type} error", 1 => "Exception error", _ => string.Empty };
                string[] others = common.Where(_ => random.Next(2) == 0).ToArray();
                string[] all = (parameter.Length > 0 ? others.Append(parameter) : others).OrderBy(_ => random.Next()).ToArray();
                string body = random.Next(4) switch
                {
                    0 => "void {0}({1}) { }",
                    1 => "ValueTask {0}({1}) => default;",
                    2 => "Task {0}({1}) => Task.CompletedTask;",
                    _ => "async ValueTask {0}({1}) { await Task.Yield(); }",
                };
                w.AppendLine($"[{attribute}{argument}] " + body.Replace("{0}", Name()).Replace("{1}", string.Join(", ", all)));
            }
        }
    }
}
