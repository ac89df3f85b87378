using System.Linq;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Conserv.Generators.Tests;

/// <summary>
/// File-local types cannot be named from the generated file: a <c>file</c> driver gets no generated part, and a handler
/// for a <c>file</c> exception type is skipped, so no broken code is emitted; CONSERV020 says why (issue 11, item 5).
/// </summary>
public class FileLocalTests
{
    [Fact]
    public void AFileLocalDriverGetsNoGeneratedPart()
    {
        const string source = """
            using Conserv;

            namespace App;

            file partial class LocalDriver
            {
                [OnSocketConnect] void Connected(TcpSocket socket) { }
            }

            file sealed class Outer
            {
                public partial class Inner
                {
                    [OnSocketConnect] void Connected(TcpSocket socket) { }
                }
            }

            public partial class Visible
            {
                [OnSocketConnect] void Connected(TcpSocket socket) { }
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(output));
        Assert.Equal(new[] { "App.Visible.Conserv.g.cs" }, result.Results[0].GeneratedSources.Select(s => s.HintName));
    }

    [Fact]
    public void AHandlerForAFileLocalExceptionIsSkippedAndTheRestOfTheChainCompiles()
    {
        const string source = """
            using System;
            using Conserv;

            namespace App;

            file sealed class LocalEx : Exception { }

            file static class Holder
            {
                public sealed class NestedEx : Exception { }
            }

            public sealed class PairEx<TFirst, TSecond> : Exception { }

            public partial class Driver
            {
                [OnSocketError(typeof(LocalEx))] void Local(Exception e) { }
                [OnSocketError(typeof(Holder.NestedEx))] void Nested(Exception e) { }
                [OnSocketError(typeof(PairEx<LocalEx, int>))] void Pair(Exception e) { }
                [OnSocketError] void Any(Exception e) { }
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(output));
        string generated = Assert.Single(result.GeneratedTrees).ToString();
        Assert.DoesNotContain("LocalEx", generated);
        Assert.DoesNotContain("NestedEx", generated);
        Assert.DoesNotContain("PairEx", generated);
        Assert.Contains("this.Any(e0)", generated);
        GeneratorHarness.Load(output);
    }
}
