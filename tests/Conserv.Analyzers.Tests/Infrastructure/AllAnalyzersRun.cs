using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Conserv.Analyzers.Tests.Infrastructure;

/// <summary>Compiles test code (nullable on) and runs analyzers over it, for tests about what all of them report together.</summary>
internal static class AllAnalyzersRun
{
    public static CSharpCompilation Compile(string source)
    {
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Test",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            TestReferences.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));
        return compilation;
    }

    /// <summary>The diagnostics of <paramref name="analyzers"/> (every Conserv analyzer by default) on <paramref name="source"/>.</summary>
    public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(string source, params DiagnosticAnalyzer[] analyzers)
    {
        CSharpCompilation compilation = Compile(source);
        return await compilation.WithAnalyzers(analyzers.Length == 0 ? AllAnalyzers.Create() : [.. analyzers]).GetAnalyzerDiagnosticsAsync();
    }
}
