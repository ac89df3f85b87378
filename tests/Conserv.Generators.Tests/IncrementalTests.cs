using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using Conserv.Generators.Model;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Conserv.Generators.Tests;

/// <summary>The pipeline caches: unrelated edits rerun nothing, handler edits change the output, and no model holds compilation objects.</summary>
public class IncrementalTests
{
    private const string Driver = """
        using System;
        using System.IO;
        using Conserv;

        namespace App;

        public partial class EchoDriver
        {
            [OnSocketData] void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
            [OnSocketError(typeof(IOException))] void Harmless(IOException error) { }
            [OnServerListen] void Listening() { }
        }

        public sealed partial class Derived : EchoDriver
        {
            [OnSocketError] void Fatal(Exception error) { }
        }
        """;

    private const string Unrelated = "namespace App; public static class Util { public static int Twice(int x) => 2 * x; }";

    private static readonly Type[] Banned = { typeof(ISymbol), typeof(SyntaxNode), typeof(Compilation), typeof(Location), typeof(SemanticModel), typeof(SyntaxTree) };

    [Fact]
    public void AnUnrelatedEditLeavesEveryTrackedStepCachedOrUnchanged()
    {
        CSharpCompilation first = GeneratorHarness.Compile(Driver, Unrelated);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(first);
        GeneratorRunResult before = driver.GetRunResult().Results.Single();

        CSharpCompilation second = first.ReplaceSyntaxTree(
            first.SyntaxTrees.Last(),
            CSharpSyntaxTree.ParseText(Unrelated.Replace("2 * x", "x + x"), GeneratorHarness.ParseOptions, path: "Source1.cs"));
        GeneratorRunResult after = driver.RunGenerators(second).GetRunResult().Results.Single();

        IReadOnlyList<string> tracked = TrackedStepNames(after);
        Assert.Contains(TrackingNames.Drivers, tracked);
        Assert.Contains(TrackingNames.Driver, tracked);
        Assert.Contains(TrackingNames.Handlers + DriverEvent.SocketData, tracked);
        foreach (string name in tracked)
        {
            foreach (IncrementalGeneratorRunStep step in after.TrackedSteps[name])
            {
                Assert.All(step.Outputs, output => Assert.True(
                    output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                    $"step {name} was {output.Reason}"));
            }
        }

        Assert.All(after.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), output =>
            Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"output was {output.Reason}"));
        Assert.Equal(
            before.GeneratedSources.Select(s => s.SourceText.ToString()),
            after.GeneratedSources.Select(s => s.SourceText.ToString()));
    }

    [Fact]
    public void EditingAHandlerChangesTheOutputOfItsDriverOnly()
    {
        const string Other = "using Conserv; namespace App; public sealed partial class Other { [OnSocketConnect] void Connected() { } }";
        CSharpCompilation first = GeneratorHarness.Compile(Driver, Other);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(first);
        Dictionary<string, string> before = Sources(driver.GetRunResult());

        string edited = Driver.Replace("void Harmless(IOException error)", "void Harmless(TcpSocket socket, IOException error)");
        CSharpCompilation second = first.ReplaceSyntaxTree(
            first.SyntaxTrees.First(),
            CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, path: "Source0.cs"));
        GeneratorDriverRunResult run = driver.RunGenerators(second).GetRunResult();
        Dictionary<string, string> after = Sources(run);

        Assert.NotEqual(before["App.EchoDriver.Conserv.g.cs"], after["App.EchoDriver.Conserv.g.cs"]);
        Assert.Contains("this.Harmless(socket, e0);", after["App.EchoDriver.Conserv.g.cs"]);
        Assert.Equal(before["App.Other.Conserv.g.cs"], after["App.Other.Conserv.g.cs"]);
        IncrementalGeneratorRunStep[] perDriver = run.Results.Single().TrackedSteps[TrackingNames.Driver].ToArray();
        Assert.Contains(perDriver.SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(perDriver.SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Unchanged);
    }

    [Fact]
    public void NoModelTypeCanHoldACompilationObject()
    {
        Type[] modelTypes = typeof(DriverModel).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(DriverModel).Namespace && !t.IsAbstract)
            .ToArray();
        Assert.Contains(typeof(HandlerModel), modelTypes);

        foreach (Type type in modelTypes)
        {
            foreach (Type reachable in ReachableFieldTypes(type))
            {
                Assert.False(Banned.Any(b => b.IsAssignableFrom(reachable)), $"{type.Name} can hold a {reachable.Name}");
                Assert.NotEqual(typeof(object), reachable);
            }
        }
    }

    [Fact]
    public void NoTrackedStepOutputHoldsACompilationObject()
    {
        GeneratorRunResult run = GeneratorHarness.CreateDriver().RunGenerators(GeneratorHarness.Compile(Driver)).GetRunResult().Results.Single();

        int checkedValues = 0;
        foreach (IncrementalGeneratorRunStep step in run.TrackedSteps.Where(s => s.Key.StartsWith("Conserv.", StringComparison.Ordinal)).SelectMany(s => s.Value))
        {
            foreach ((object value, _) in step.Outputs)
            {
                AssertHoldsNoCompilationObject(value, new HashSet<object>(ReferenceEqualityComparer.Instance));
                checkedValues++;
            }
        }

        Assert.True(checkedValues > 0);
    }

    private static IReadOnlyList<string> TrackedStepNames(GeneratorRunResult run) =>
        run.TrackedSteps.Keys.Where(k => k.StartsWith("Conserv.", StringComparison.Ordinal)).ToList();

    private static Dictionary<string, string> Sources(GeneratorDriverRunResult result) =>
        result.Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());

    private static IEnumerable<Type> ReachableFieldTypes(Type root)
    {
        var seen = new HashSet<Type>();
        var pending = new Stack<Type>(new[] { root });
        while (pending.Count > 0)
        {
            Type type = pending.Pop();
            if (!seen.Add(type) || type.IsPrimitive || type.IsEnum || type == typeof(string))
            {
                continue;
            }

            yield return type;
            if (type.IsArray)
            {
                pending.Push(type.GetElementType()!);
                continue;
            }

            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                pending.Push(field.FieldType);
            }
        }
    }

    private static void AssertHoldsNoCompilationObject(object? value, HashSet<object> visited)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !visited.Add(value))
        {
            return;
        }

        Assert.False(Banned.Any(b => b.IsInstanceOfType(value)), $"a step output holds a {value.GetType().Name}");
        if (value is IEnumerable sequence)
        {
            foreach (object? item in sequence)
            {
                AssertHoldsNoCompilationObject(item, visited);
            }
        }

        foreach (FieldInfo field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertHoldsNoCompilationObject(field.GetValue(value), visited);
        }
    }
}
