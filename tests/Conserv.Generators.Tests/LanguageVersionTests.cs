using System.Linq;
using Conserv.Generators.Parsing;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Conserv.Generators.Tests;

/// <summary>
/// The generated code needs C# 8 (<c>#nullable enable</c>, nullable annotations, static local functions): below it the
/// generator emits nothing (CONSERV021 says why), at 8 the output compiles (issue 11, item 7).
/// </summary>
public class LanguageVersionTests
{
    private const string Source = """
        using System;
        using System.IO;
        using System.Threading.Tasks;
        using Conserv;

        namespace App
        {
            public partial class Base
            {
                [OnSocketError(typeof(IOException))] ValueTask Io(IOException e) => new ValueTask();
                [OnSocketData] void Data(TcpSocket socket, ReadOnlyMemory<byte> data) { }
                [OnSocketClose] void Closed(TcpSocket socket, TcpServer? server, Exception? cause) { }
                [OnServerError] Task Failed(TcpServer server, Exception e) => Task.CompletedTask;
            }

            public sealed partial class Derived : Base
            {
                [OnSocketError] void Any(Exception e) { }
            }
        }
        """;

    [Theory]
    [InlineData(LanguageVersion.CSharp7_3, 0)]
    [InlineData(LanguageVersion.CSharp7, 0)]
    [InlineData(LanguageVersion.CSharp8, 2)]
    public void BelowCSharp8NothingIsGeneratedAndAtCSharp8TheOutputCompiles(LanguageVersion version, int files)
    {
        var options = new CSharpParseOptions(version);
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Tests",
            new[] { CSharpSyntaxTree.ParseText(Source.Replace("TcpServer? server", version >= LanguageVersion.CSharp8 ? "TcpServer? server" : "TcpServer server").Replace("Exception? cause", version >= LanguageVersion.CSharp8 ? "Exception? cause" : "Exception cause"), options, path: "Source0.cs") },
            GeneratorHarness.DefaultReferences,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: version >= LanguageVersion.CSharp8 ? NullableContextOptions.Enable : NullableContextOptions.Disable));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new DriverGenerator().AsSourceGenerator() }, parseOptions: options)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        GeneratorDriverRunResult result = driver.GetRunResult();
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Equal(files, result.GeneratedTrees.Length);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void BelowCSharp8TheParserReportsTheVersionOnEachDriver()
    {
        var options = new CSharpParseOptions(LanguageVersion.CSharp7_3);
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Tests",
            new[] { CSharpSyntaxTree.ParseText(Source.Replace("TcpServer? server", "TcpServer server").Replace("Exception? cause", "Exception cause"), options, path: "Source0.cs") },
            GeneratorHarness.DefaultReferences,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable));

        var problems = BindingProblemTests.ParseAll(compilation);

        Assert.Equal(new[] { "Base", "Derived" }, problems.Select(p => p.Symbol.Name).OrderBy(n => n, System.StringComparer.Ordinal));
        Assert.All(problems, p => Assert.Equal((HandlerProblem.LanguageVersionTooOld, "7.3"), (p.Kind, p.Detail)));
    }
}
