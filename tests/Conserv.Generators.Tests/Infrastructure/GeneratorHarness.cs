using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using Basic.Reference.Assemblies;
using Conserv.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Conserv.Generators.Tests.Infrastructure;

/// <summary>Compiles test sources against .NET 10 and Conserv.Runtime, and runs the generator on them.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    private static readonly ImmutableArray<MetadataReference> References = Net100.References.All
        .Cast<MetadataReference>()
        .Append(MetadataReference.CreateFromFile(typeof(TcpSocket).Assembly.Location))
        .ToImmutableArray();

    public static CSharpCompilation Compile(params string[] sources) => Compile("Tests", References, sources);

    public static CSharpCompilation Compile(string assemblyName, IEnumerable<MetadataReference> references, params string[] sources) =>
        CSharpCompilation.Create(
            assemblyName,
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static ImmutableArray<MetadataReference> DefaultReferences => References;

    public static GeneratorDriver CreateDriver() => CSharpGeneratorDriver.Create(
        new[] { new DriverGenerator().AsSourceGenerator() },
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once; returns the result and the compilation with the generated sources added.</summary>
    public static (GeneratorDriverRunResult Result, Compilation Output) Run(CSharpCompilation compilation)
    {
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        return (driver.GetRunResult(), output);
    }

    /// <summary>Runs the generator and returns the generated sources by hint name, asserting that it reported nothing and threw nothing.</summary>
    public static IReadOnlyDictionary<string, string> Generate(params string[] sources)
    {
        (GeneratorDriverRunResult result, _) = Run(Compile(sources));
        Assert.Empty(result.Diagnostics);
        GeneratorRunResult run = Assert.Single(result.Results);
        Assert.Null(run.Exception);
        return run.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());
    }

    /// <summary>Errors and warnings of a compilation (hidden and info diagnostics dropped).</summary>
    public static IReadOnlyList<Diagnostic> Problems(Compilation compilation) => compilation.GetDiagnostics()
        .Where(d => d.Severity >= DiagnosticSeverity.Warning)
        .ToList();

    /// <summary>
    /// Runs the generator on <paramref name="sources"/> and loads the result, asserting that the generator threw nothing
    /// and that the output (generated sources included) compiles without an error or a warning.
    /// </summary>
    public static Assembly GenerateAndLoad(params string[] sources)
    {
        (GeneratorDriverRunResult result, Compilation output) = Run(Compile(sources));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(Problems(output));
        return Load(output);
    }

    /// <summary>A new instance of the type named <paramref name="typeName"/> in <paramref name="assembly"/>, as <typeparamref name="T"/>.</summary>
    public static T Create<T>(Assembly assembly, string typeName) =>
        (T)System.Activator.CreateInstance(assembly.GetType(typeName, throwOnError: true)!)!;

    /// <summary>Emits a compilation (generated sources included) and loads it, asserting that it has no errors.</summary>
    public static Assembly Load(Compilation compilation)
    {
        using var image = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return Assembly.Load(image.ToArray());
    }
}
