using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Conserv.Generators.Tests;

/// <summary>
/// The complete C# examples in README.md, docs/ and the package README (those with <c>using Conserv;</c>) compile, with the
/// generator, without an error or a warning: a newcomer who copies one gets a working driver.
/// </summary>
public sealed class DocumentationTests
{
    public static IEnumerable<object[]> Examples() =>
        new[] { "README.md", "docs/getting-started.md", "docs/drivers.md", "docs/errors.md", "docs/runtime.md", "docs/framing.md", "docs/hosting.md", "docs/testing-drivers.md", "docs/tls.md", "Conserv.Runtime/README.md", "Conserv.Testing/README.md" }
            .SelectMany(file => Regex.Matches(File.ReadAllText(Path.Combine(RepositoryRoot(), file)), "```csharp\n(.*?)```", RegexOptions.Singleline)
                .Select((match, index) => (file, index, code: match.Groups[1].Value)))
            .Where(example => example.code.Contains("using Conserv;", StringComparison.Ordinal))
            .Select(example => new object[] { $"{example.file} #{example.index}", example.code });

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_compiles_with_the_generator_and_no_warnings(string where, string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, GeneratorHarness.ParseOptions, path: where);
        bool topLevel = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax>().Any();
        var compilation = CSharpCompilation.Create(
            "Example",
            new[] { tree },
            GeneratorHarness.DefaultReferences.AddRange(HostingReferences),
            new CSharpCompilationOptions(topLevel ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                // As the SDK does (NoWarn 1701;1702): xunit's assemblies name older System.Runtime versions, unified silently.
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));
        (_, Compilation output) = GeneratorHarness.Run(compilation);
        var problems = GeneratorHarness.Problems(output).Select(d => d.ToString()).ToList();
        Assert.True(problems.Count == 0, $"{where}:\n{string.Join("\n", problems)}");
    }

    [Fact]
    public void The_hosting_guide_has_examples_that_are_compiled()
    {
        Assert.True(Examples().Count(e => ((string)e[0]).StartsWith("docs/hosting.md", StringComparison.Ordinal)) >= 2);
    }

    [Fact]
    public void The_readme_has_a_first_driver_example()
    {
        Assert.Contains(Examples(), e => ((string)e[0]).StartsWith("README.md", StringComparison.Ordinal) && ((string)e[1]).Contains("partial class", StringComparison.Ordinal));
    }

    [Fact]
    public void The_guide_to_testing_drivers_has_examples_that_are_compiled()
    {
        Assert.True(Examples().Count(e => ((string)e[0]).StartsWith("docs/testing-drivers.md", StringComparison.Ordinal)) >= 3);
    }

    /// <summary>
    /// Conserv.Hosting and the generic host, for docs/hosting.md; Conserv.Testing, its fake clock and xunit, for
    /// docs/testing-drivers.md (all copied next to this test assembly).
    /// </summary>
    private static IEnumerable<MetadataReference> HostingReferences =>
        Directory.GetFiles(AppContext.BaseDirectory, "Microsoft.Extensions.*.dll")
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "xunit.*.dll"))
            .Append(Path.Combine(AppContext.BaseDirectory, "Conserv.Hosting.dll"))
            .Append(Path.Combine(AppContext.BaseDirectory, "Conserv.Testing.dll"))
            .Select(path => MetadataReference.CreateFromFile(path));

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Conserv.Gen.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Conserv.Gen.sln not found above " + AppContext.BaseDirectory);
    }
}
