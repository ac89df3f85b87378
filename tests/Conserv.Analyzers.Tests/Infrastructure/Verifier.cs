using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Conserv.Analyzers.Tests.Infrastructure;

/// <summary>
/// Runs one analyzer (and optionally one code fix) over test code that must compile (compiler errors fail the test),
/// with nullable annotations on, as in the project's own code.
/// </summary>
internal static class Verifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>The usings every test source starts with.</summary>
    public const string Usings = """
        using System;
        using System.IO;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;
        using Conserv;

        """;

    /// <summary>Checks that the analyzer reports exactly the diagnostics marked in <paramref name="source"/> (<c>{|ID:span|}</c>) and <paramref name="expected"/>.</summary>
    public static Task AnalyzeAsync(string source, params DiagnosticResult[] expected) => AnalyzeWithConfigAsync(source, null, expected);

    /// <summary>As <see cref="AnalyzeAsync"/>, with an <c>.editorconfig</c> next to the source.</summary>
    public static Task AnalyzeWithConfigAsync(string source, string? editorConfig, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest { TestCode = source };
        if (editorConfig is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", editorConfig));
        }

        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>
    /// Checks that the fix turns <paramref name="source"/> into <paramref name="fixedSource"/>, which compiles and has no diagnostic left;
    /// then that the fixed code, built with the generator and every Conserv analyzer, has no error the source did not have
    /// (<see cref="FixedCode.AssertAddsNoErrorAsync"/>).
    /// </summary>
    public static async Task FixAsync<TCodeFix>(string source, string fixedSource, string? equivalenceKey = null, int iterations = 1)
        where TCodeFix : CodeFixProvider, new()
    {
        await FixOnlyAsync<TCodeFix>(source, fixedSource, equivalenceKey, iterations);
        await FixedCode.AssertAddsNoErrorAsync(source, fixedSource);
    }

    private static Task FixOnlyAsync<TCodeFix>(string source, string fixedSource, string? equivalenceKey, int iterations)
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new FixTest<TCodeFix>
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = equivalenceKey,
            NumberOfIncrementalIterations = iterations,
            NumberOfFixAllIterations = 1,
        };
        return test.RunAsync(CancellationToken.None);
    }

    internal static Solution Transform(Solution solution, ProjectId projectId)
    {
        var options = (CSharpCompilationOptions)solution.GetProject(projectId)!.CompilationOptions!;
        return solution.WithProjectCompilationOptions(projectId, options.WithNullableContextOptions(NullableContextOptions.Enable));
    }

    private sealed class AnalyzerTest : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        public AnalyzerTest()
        {
            ReferenceAssemblies = TestReferences.None;
            TestState.AdditionalReferences.AddRange(TestReferences.All);
            SolutionTransforms.Add(Transform);
        }
    }

    private sealed class FixTest<TCodeFix> : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
        where TCodeFix : CodeFixProvider, new()
    {
        public FixTest()
        {
            ReferenceAssemblies = TestReferences.None;
            TestState.AdditionalReferences.AddRange(TestReferences.All);
            SolutionTransforms.Add(Transform);
        }
    }
}
