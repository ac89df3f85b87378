using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Conserv.Generators.Tests;

/// <summary>
/// Hint names are unique ignoring case (the compiler's rule) and contain only the characters it accepts, so no
/// driver's name can make the generator throw and every driver keeps its code (issue 11, items 1 and 2).
/// </summary>
public class HintNameTests
{
    private const string Trace = "namespace App { public static class Trace { public static string? Last; } }";

    private static string Driver(string ns, string name) => $$"""
        namespace {{ns}}
        {
            public partial class {{name}}
            {
                [global::Conserv.OnSocketConnect] void Connected() => global::App.Trace.Last = "{{ns}}.{{name}}";
            }
        }
        """;

    private static readonly string[] CaseSources =
    {
        Driver("App", "HttpDriver"),
        Driver("App", "HTTPDriver"),
        Driver("App.IO", "Session"),
        Driver("App.Io", "Session"),
        Driver("App", "Plain"),
        Trace,
    };

    [Fact]
    public void DriversWhoseNamesDifferOnlyInCaseEachGetTheirOwnFileAndRunTheirOwnHandler()
    {
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(CaseSources));

        GeneratorRunResult run = Assert.Single(result.Results);
        Assert.Null(run.Exception);
        Assert.Empty(result.Diagnostics);
        string[] names = run.GeneratedSources.Select(s => s.HintName).ToArray();
        Assert.Equal(5, names.Length);
        Assert.Equal(5, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Contains("App.Plain.Conserv.g.cs", names); // a driver that collides with nothing keeps its plain name
        Assert.Empty(GeneratorHarness.Problems(output));

        Assembly assembly = GeneratorHarness.Load(output);
        foreach (string name in new[] { "App.HttpDriver", "App.HTTPDriver", "App.IO.Session", "App.Io.Session", "App.Plain" })
        {
            Assert.Equal(name, Connect(assembly, name));
        }
    }

    [Fact]
    public void DisambiguatedHintNamesAreStable()
    {
        IReadOnlyDictionary<string, string> first = GeneratorHarness.Generate(CaseSources);
        IReadOnlyDictionary<string, string> reversed = GeneratorHarness.Generate(CaseSources.Reverse().ToArray());

        Assert.Equal(first.OrderBy(p => p.Key, StringComparer.Ordinal), reversed.OrderBy(p => p.Key, StringComparer.Ordinal));

        // Adding or removing a colliding driver renames only the drivers it collides with.
        IReadOnlyDictionary<string, string> fewer = GeneratorHarness.Generate(CaseSources.Where(s => !s.Contains("HTTPDriver", StringComparison.Ordinal)).ToArray());
        Assert.Contains("App.HttpDriver.Conserv.g.cs", fewer.Keys);
        Assert.Equal(
            first.Where(p => p.Value.Contains("namespace App.I", StringComparison.OrdinalIgnoreCase)).OrderBy(p => p.Key, StringComparer.Ordinal),
            fewer.Where(p => p.Value.Contains("namespace App.I", StringComparison.OrdinalIgnoreCase)).OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void RemovingOneOfThreeCollidingDriversRenamesNeitherOfTheOthers()
    {
        // The hash, not the position among the colliding names, tells them apart: a counter (-2, -3 in name order)
        // would rename the later drivers when an earlier one goes.
        string[] three = { Driver("App", "Abc"), Driver("App", "ABC"), Driver("App", "aBC"), Trace };
        string[] all = GeneratorHarness.Generate(three).Keys.ToArray();
        string[] two = GeneratorHarness.Generate(three.Where(s => !s.Contains("class ABC", StringComparison.Ordinal)).ToArray()).Keys.ToArray();

        Assert.Equal(3, all.Length);
        Assert.Equal(3, all.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(2, two.Length);
        Assert.All(two, name => Assert.Contains(name, all));
    }

    [Fact]
    public void TwoNamesThatDifferInCaseAndShareTheirHashStillGetTwoFiles()
    {
        // Found by search: FNV-1a gives these two metadata names one hash, 7ace8d14.
        string[] sources = { Driver("App", "cOLLIsiONprObEAbcd"), Driver("App", "collIsiONprObeaBcd"), Trace };

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(sources));

        GeneratorRunResult run = Assert.Single(result.Results);
        Assert.Null(run.Exception);
        Assert.Equal(
            new[] { "App.cOLLIsiONprObEAbcd-7ace8d14.Conserv.g.cs", "App.collIsiONprObeaBcd-7ace8d14-2.Conserv.g.cs" },
            run.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal).ToArray());
        Assert.Empty(GeneratorHarness.Problems(output));
        Assembly assembly = GeneratorHarness.Load(output);
        Assert.Equal("App.cOLLIsiONprObEAbcd", Connect(assembly, "App.cOLLIsiONprObEAbcd"));
        Assert.Equal("App.collIsiONprObeaBcd", Connect(assembly, "App.collIsiONprObeaBcd"));
    }

    [Fact]
    public void AKeywordNamespaceSegmentGivesAValidHintName()
    {
        const string Source = """
            using Conserv;

            namespace App.@class;

            public partial class Driver
            {
                [OnSocketConnect] void Connected() => global::App.Trace.Last = "App.class.Driver";
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(Source, Trace));

        GeneratorRunResult run = Assert.Single(result.Results);
        Assert.Null(run.Exception);
        Assert.Empty(result.Diagnostics);
        Assert.Equal("App.class.Driver.Conserv.g.cs", Assert.Single(run.GeneratedSources).HintName);
        Assert.Empty(GeneratorHarness.Problems(output));
        Assert.Equal("App.class.Driver", Connect(GeneratorHarness.Load(output), "App.class.Driver"));
    }

    [Theory]
    [InlineData("App.Driver", "App.Driver.Conserv.g.cs")]
    [InlineData("App.class.Outer`1+Inner", "App.class.Outer`1+Inner.Conserv.g.cs")]
    [InlineData("App.Bad@Name", "App.Bad_Name.Conserv.g.cs")]
    [InlineData("App.a/b", "App.a_b.Conserv.g.cs")]
    public void HintNamesKeepOnlyTheCharactersTheCompilerAccepts(string metadataName, string expected)
    {
        Assert.Equal(expected, Conserv.Generators.Emit.HintNames.Sanitize(metadataName) + Conserv.Generators.Emit.HintNames.Suffix);
    }

    /// <summary>Calls the generated <c>OnSocketConnect</c> of driver <paramref name="type"/> and returns what its handler recorded.</summary>
    internal static string? Connect(Assembly assembly, string type)
    {
        FieldInfo last = assembly.GetType("App.Trace", throwOnError: true)!.GetField("Last")!;
        last.SetValue(null, null);
        var driver = (ISocketEventDriver)Activator.CreateInstance(assembly.GetType(type, throwOnError: true)!)!;
        Assert.True(driver.OnSocketConnect(null!).IsCompletedSuccessfully);
        return (string?)last.GetValue(null);
    }
}
