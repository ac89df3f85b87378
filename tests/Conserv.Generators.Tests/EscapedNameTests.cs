using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Conserv.Generators.Tests;

/// <summary>
/// Names that are keywords, written with <c>@</c> in the source, are written with <c>@</c> in the generated part
/// too: namespace segments, type names and type parameters, handler names in calls (issue 11, item 6).
/// </summary>
public class EscapedNameTests
{
    private const string Source = """
        using System;
        using Conserv;

        namespace App.@event;

        public partial class @class
        {
            [OnSocketConnect] void @void(TcpSocket @object) => global::App.Trace.Last = "void";
            [OnSocketError] static void @static(Exception @object) => global::App.Trace.Last = "static:" + @object.GetType().Name;
            [OnSocketData] void @record(ReadOnlySpan<byte> @object) { }

            public partial class @event<@int>
            {
                [OnSocketConnect] void @class(TcpSocket @object) => global::App.Trace.Last = "nested:" + typeof(@int).Name;
            }
        }

        public sealed partial class @sealed : @class
        {
            [OnSocketError(typeof(InvalidOperationException))] void @new(InvalidOperationException @object) => global::App.Trace.Last = "new";
        }
        """;

    private const string Trace = "namespace App { public static class Trace { public static string? Last; } }";

    [Fact]
    public void KeywordNamesAreEscapedAndTheirHandlersRun()
    {
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(Source, Trace));

        GeneratorRunResult run = Assert.Single(result.Results);
        Assert.Null(run.Exception);
        Assert.Equal(
            new[] { "App.event.class+event`1.Conserv.g.cs", "App.event.class.Conserv.g.cs", "App.event.sealed.Conserv.g.cs" },
            run.GeneratedSources.Select(s => s.HintName).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Empty(GeneratorHarness.Problems(output));

        Assembly assembly = GeneratorHarness.Load(output);
        FieldInfo last = assembly.GetType("App.Trace", throwOnError: true)!.GetField("Last")!;
        Type @class = assembly.GetType("App.event.class", throwOnError: true)!;
        Type nested = assembly.GetType("App.event.class+event`1", throwOnError: true)!.MakeGenericType(typeof(int));
        Type @sealed = assembly.GetType("App.event.sealed", throwOnError: true)!;

        Assert.Equal("void", Run(last, () => Driver(@class).OnSocketConnect(null!)));
        Assert.Equal("static:IOException", Run(last, () => Driver(@class).OnSocketError(null!, new IOException())));
        Assert.Equal("nested:Int32", Run(last, () => Driver(nested).OnSocketConnect(null!)));
        Assert.Equal("new", Run(last, () => Driver(@sealed).OnSocketError(null!, new InvalidOperationException())));
        Assert.Equal("static:IOException", Run(last, () => Driver(@sealed).OnSocketError(null!, new IOException())));
    }

    private static ISocketEventDriver Driver(Type type) => (ISocketEventDriver)Activator.CreateInstance(type)!;

    private static string? Run(FieldInfo last, Func<object> call)
    {
        last.SetValue(null, null);
        call();
        return (string?)last.GetValue(null);
    }
}
