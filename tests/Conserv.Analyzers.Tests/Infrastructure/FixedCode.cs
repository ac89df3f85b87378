using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Conserv.Analyzers.Tests.Infrastructure;

/// <summary>
/// What a fix's output is checked against beyond the fix test itself: compiled as the build compiles it (the Conserv
/// runtime referenced, the generator run, every Conserv analyzer on), it has no error the input did not have —
/// no compiler error in the user's code or the generated code (CS1061, CS0407, …) and no new Conserv error (CONSERV017, …) —
/// and no analyzer throws (AD0001). Also: which fixes a provider offers.
/// </summary>
internal static partial class FixedCode
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>Asserts that <paramref name="fixedSource"/> adds no error to <paramref name="source"/> (test markup is ignored).</summary>
    public static async Task AssertAddsNoErrorAsync(string source, string fixedSource)
    {
        List<Diagnostic> before = await ErrorsAsync(StripMarkup(source));
        List<Diagnostic> after = await ErrorsAsync(StripMarkup(fixedSource));
        Assert.DoesNotContain(before.Concat(after), d => d.Id == "AD0001");
        var added = after
            .GroupBy(d => d.Id)
            .Where(g => g.Count() > before.Count(d => d.Id == g.Key))
            .SelectMany(g => g)
            .Select(d => d.ToString())
            .ToList();
        Assert.True(added.Count == 0, "the fixed code has new errors:\n" + string.Join("\n", added));
    }

    /// <summary>The titles of the fixes <paramref name="fix"/> offers for what <paramref name="analyzer"/> reports on <paramref name="source"/>.</summary>
    public static async Task<IReadOnlyList<string>> OfferedAsync(string source, DiagnosticAnalyzer analyzer, CodeFixProvider fix)
    {
        using var workspace = new AdhocWorkspace();
        Project project = workspace.AddProject("Test", LanguageNames.CSharp)
            .WithCompilationOptions(Options)
            .WithParseOptions(ParseOptions)
            .AddMetadataReferences(TestReferences.All);
        Document document = project.AddDocument("Test.cs", source);
        Compilation compilation = (await document.Project.GetCompilationAsync())!;
        ImmutableArray<Diagnostic> diagnostics = await compilation.WithAnalyzers([analyzer]).GetAnalyzerDiagnosticsAsync();
        var titles = new List<string>();
        foreach (Diagnostic diagnostic in diagnostics.Where(d => fix.FixableDiagnosticIds.Contains(d.Id)))
        {
            var context = new CodeFixContext(document, diagnostic, (action, _) => titles.Add(action.Title), CancellationToken.None);
            await fix.RegisterCodeFixesAsync(context);
        }

        return titles;
    }

    private static CSharpCompilationOptions Options =>
        new(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);

    private static async Task<List<Diagnostic>> ErrorsAsync(string source)
    {
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Fixed",
            [CSharpSyntaxTree.ParseText(source, ParseOptions, path: "Fixed.cs")],
            TestReferences.All,
            Options);
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new DriverGenerator().AsSourceGenerator()], parseOptions: ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        Assert.All(driver.GetRunResult().Results, r => Assert.Null(r.Exception));
        ImmutableArray<Diagnostic> all = await output.WithAnalyzers(AllAnalyzers.Create()).GetAllDiagnosticsAsync();
        return generatorDiagnostics.Concat(all)
            .Where(d => d.Severity == DiagnosticSeverity.Error || d.Id == "AD0001")
            .ToList();
    }

    /// <summary>The source without the test markup: <c>{|ID:text|}</c>, <c>{|#0:text|}</c> and <c>[|text|]</c> become <c>text</c>.</summary>
    private static string StripMarkup(string source) => Markup().Replace(source, string.Empty);

    [GeneratedRegex(@"\{\|[^:|{}]*:|\|\}|\[\||\|\]")]
    private static partial Regex Markup();
}
