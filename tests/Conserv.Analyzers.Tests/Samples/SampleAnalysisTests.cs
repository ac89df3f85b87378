using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Conserv.Analyzers.Tests.Infrastructure;
using Conserv.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Conserv.Analyzers.Tests.Samples;

/// <summary>
/// No false positives on real drivers: every sample, compiled in-process with the generator as the build does,
/// compiles without errors and gets no diagnostic from any Conserv analyzer.
/// </summary>
public class SampleAnalysisTests
{
    public static TheoryData<string> Samples() => new(Repository.SampleNames());

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Sample_compiles_with_the_generator_and_gets_no_analyzer_diagnostic(string sample)
    {
        ImmutableArray<Diagnostic> diagnostics = await AnalyzeAsync(sample, Repository.SampleSources(sample).Select(Read).ToArray());
        Assert.Empty(diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error || d.Id.StartsWith("CONSERV")).Select(d => d.ToString()));
    }

    [Fact]
    public async Task The_same_harness_reports_a_broken_driver_added_to_a_sample()
    {
        const string broken = """
            using System;
            using System.Threading;
            using Conserv;

            public class BrokenDriver
            {
                [OnSocketData]
                void Received(TcpSocket socket, ReadOnlySpan<byte> data) => Thread.Sleep(10);
            }
            """;
        SyntaxTree[] trees = [.. Repository.SampleSources("Echo").Select(Read), CSharpSyntaxTree.ParseText(broken, Parse, "BrokenDriver.cs")];
        ImmutableArray<Diagnostic> diagnostics = await AnalyzeAsync("Echo", trees);
        Assert.Equal(["CONSERV001", "CONSERV009"], diagnostics.Where(d => d.Id.StartsWith("CONSERV")).Select(d => d.Id).Order());
    }

    private static SyntaxTree Read(string path) => CSharpSyntaxTree.ParseText(File.ReadAllText(path), Parse, path);

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(string sample, SyntaxTree[] trees)
    {
        Assert.NotEmpty(trees);

        CSharpCompilation compilation = CSharpCompilation.Create(
            sample,
            trees,
            TestReferences.ForSamples,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        CSharpGeneratorDriver.Create(new DriverGenerator()).WithUpdatedParseOptions(Parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation generated, out ImmutableArray<Diagnostic> generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        Assert.True(generated.SyntaxTrees.Count() > trees.Length, $"the generator produced nothing for {sample}");

        return await generated.WithAnalyzers(AllAnalyzers.Create()).GetAllDiagnosticsAsync();
    }
}
