using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Conserv.Generators.Tests;

/// <summary>
/// The smaller cases of issue 11, item 8: what used to generate code that does not compile (or dispatch that skips
/// a hand-written base) now compiles with zero errors; the analyzers say why a handler is not bound.
/// </summary>
public class EdgeCaseTests
{
    private const string Trace = "namespace App { public static class Trace { public static string? Last; } }";

    // An attribute with the name of the one the generator marks its members with, but none of its arguments.
    private const string OtherGeneratedCode = "namespace App.Tools { public sealed class GeneratedCodeAttribute : System.Attribute { } }";

    [Theory]
    [InlineData("[OnSocketConnect] void Connected(TcpSocket socket, __arglist) { }")]
    [InlineData("[OnSocketError] void Failed(Exception error, __arglist) { }")]
    [InlineData("[Obsolete(\"gone\", true)] [OnSocketConnect] void Connected(TcpSocket socket) { }")]
    [InlineData("[Obsolete(\"gone\", error: true)] [OnSocketError] ValueTask Failed(Exception error) => default;")]
    [InlineData("[OnSocketConnect] void __ConservConnected(TcpSocket socket) { }")]
    [InlineData("[OnSocketError(null!)] void Failed(Exception error) { }")]
    [InlineData("[OnSocketError(typeof(Generic<>))] void Failed(Exception error) { }")]
    [InlineData("[OnSocketError(typeof(Outer<>.Inner))] void Failed(Exception error) { }")]
    public void AHandlerTheGeneratedPartCannotCallIsSkippedAndTheDriverCompiles(string handler)
    {
        string source = $$"""
            using System;
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public sealed class Generic<T> : Exception { }

            public class Outer<T> { public sealed class Inner : Exception { } }

            public partial class Driver
            {
                {{handler}}

                [OnSocketEndOfFile] void Ended(TcpSocket socket) { }
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(output));
        string generated = Assert.Single(result.Results[0].GeneratedSources).SourceText.ToString();
        Assert.Contains("this.Ended(socket)", generated);
        Assert.DoesNotContain("OnSocketConnect", generated.Replace("[global::Conserv.OnSocketEndOfFile]", string.Empty));
        Assert.DoesNotContain("OnSocketError", generated);
    }

    [Fact]
    public void ADriverNestedInATypeWithSeveralTypeParametersGetsAPartOfTheSameType()
    {
        const string source = """
            using System;
            using Conserv;

            namespace App;

            public partial class Outer<TKey, TValue> where TKey : notnull
            {
                public sealed partial class Driver
                {
                    [OnSocketConnect] void Connected(TcpSocket socket) { }
                }
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Empty(GeneratorHarness.Problems(output));
        Assert.Contains("partial class Outer<TKey, TValue>", Assert.Single(result.Results[0].GeneratedSources).SourceText.ToString());
    }

    [Fact]
    public void AnObsoleteWarningHandlerIsStillCalledWithoutAWarning()
    {
        const string source = """
            using System;
            using Conserv;

            namespace App;

            public partial class Driver
            {
                [Obsolete("use something else")] [OnSocketConnect] void Connected(TcpSocket socket) { }
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Empty(GeneratorHarness.Problems(output));
        Assert.Contains("this.Connected(socket)", Assert.Single(result.Results[0].GeneratedSources).SourceText.ToString());
    }

    [Theory]
    [InlineData("public int __ConservHandled;", "__ConservHandled_2")]
    [InlineData("public static ValueTask<bool> __ConservHandled(ValueTask task) => new(false);", "__ConservHandled_2")]
    [InlineData("void __ConservHandled() { } int __ConservHandled_2 => 2;", "__ConservHandled_4")]
    public void AUserMemberNamedLikeTheHelperDoesNotCollideWithIt(string member, string helper)
    {
        string source = $$"""
            using System;
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public class Base
            {
                protected int __ConservHandled_3;
            }

            public partial class Driver : Base
            {
                {{member}}

                [OnSocketError] async ValueTask Failed(Exception error)
                {
                    await Task.Yield();
                    global::App.Trace.Last = "async";
                }
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source, Trace));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(output));
        // The first free name of the documented series __ConservHandled, __ConservHandled_2, … (the base takes _3).
        Assert.Contains($"private static global::System.Threading.Tasks.ValueTask<bool> {helper}(", Assert.Single(result.GeneratedTrees).ToString());

        Assembly assembly = GeneratorHarness.Load(output);
        var driver = (ISocketEventDriver)Activator.CreateInstance(assembly.GetType("App.Driver", throwOnError: true)!)!;
        Assert.True(Wait(driver.OnSocketError(null!, new IOException())));
        Assert.Equal("async", assembly.GetType("App.Trace")!.GetField("Last")!.GetValue(null));
    }

    [Theory]
    [InlineData("ValueTask ISocketEventDriver.OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data) { global::App.Trace.Last = \"by hand\"; return default; }")]
    [InlineData("public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data) { global::App.Trace.Last = \"by hand\"; return default; }")]
    [InlineData("[System.CodeDom.Compiler.GeneratedCode(\"AnotherTool\", \"1.0\")] public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data) { global::App.Trace.Last = \"by hand\"; return default; }")]
    [InlineData("[System.ComponentModel.Description(\"Conserv.Generators\")] public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data) { global::App.Trace.Last = \"by hand\"; return default; }")]
    [InlineData("[global::App.Tools.GeneratedCode] public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data) { global::App.Trace.Last = \"by hand\"; return default; }")]
    public void AnEventImplementedByHandKeepsTheHandWrittenMemberAndTheHandlerIsSkipped(string member)
    {
        string source = $$"""
            using System;
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public partial class Driver : ISocketEventDriver
            {
                {{member}}

                SocketDriverFeatures ISocketEventDriver.Features => SocketDriverFeatures.ByteData;

                [OnSocketData] void Received(TcpSocket socket, ReadOnlySpan<byte> data) => global::App.Trace.Last = "handler";

                [OnSocketConnect] void Connected(TcpSocket socket) => global::App.Trace.Last = "connected";
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source, Trace, OtherGeneratedCode));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(output));
        string generated = Assert.Single(result.Results[0].GeneratedSources).SourceText.ToString();
        Assert.DoesNotContain("Received", generated);
        Assert.DoesNotContain("Features", generated);

        Assembly assembly = GeneratorHarness.Load(output);
        var driver = (ISocketEventDriver)Activator.CreateInstance(assembly.GetType("App.Driver", throwOnError: true)!)!;
        FieldInfo last = assembly.GetType("App.Trace")!.GetField("Last")!;
        Wait(driver.OnSocketData(null!, new byte[] { 1 }));
        Assert.Equal("by hand", last.GetValue(null));
        Assert.Equal(SocketDriverFeatures.ByteData, driver.Features);
    }

    [Fact]
    public void AServerEventImplementedByHandKeepsTheHandWrittenMemberAndTheHandlerIsSkipped()
    {
        const string Source = """
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public partial class Driver : IServerEventDriver
            {
                ValueTask IServerEventDriver.OnServerListen(TcpServer server) { global::App.Trace.Last = "by hand"; return default; }

                [OnServerListen] void Listening() => global::App.Trace.Last = "handler";
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(Source, Trace));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(output));
        Assert.DoesNotContain("Listening", string.Concat(result.Results[0].GeneratedSources.Select(s => s.SourceText.ToString())));

        Assembly assembly = GeneratorHarness.Load(output);
        var driver = (IServerEventDriver)Activator.CreateInstance(assembly.GetType("App.Driver", throwOnError: true)!)!;
        FieldInfo last = assembly.GetType("App.Trace")!.GetField("Last")!;
        Wait(driver.OnServerListen(null!));
        Assert.Equal("by hand", last.GetValue(null));
    }

    [Fact]
    public void AMethodNamedLikeAnInterfaceMemberWithAnotherSignatureIsNotAHandWrittenImplementation()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public abstract class AbstractBase : ISocketEventDriver
            {
                public abstract ValueTask<bool> OnSocketError(TcpSocket socket, Exception error);
            }

            public sealed partial class Driver : AbstractBase
            {
                public void OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data) { }
                public ValueTask OnSocketConnect(TcpSocket socket, int retries) => default;
                public ValueTask OnSocketText(TcpSocket socket, ReadOnlyMemory<byte> text) => default;
                public int Features => 0;

                public override ValueTask<bool> OnSocketError(TcpSocket socket, Exception error) => new(false);

                [OnSocketData] void Received(TcpSocket socket, ReadOnlySpan<byte> data) { }
                [OnSocketConnect] void Connected(TcpSocket socket) { }
                [OnSocketData] void Text(TcpSocket socket, string text) { }
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(output));
        string generated = Assert.Single(result.Results[0].GeneratedSources).SourceText.ToString();
        Assert.Contains("this.Received(socket, data.Span)", generated);
        Assert.Contains("this.Connected(socket)", generated);
        Assert.Contains("this.Text(socket, ", generated);
        Assert.Contains("Features =>", generated);
    }

    [Fact]
    public void APublicHandlerWithTheSignatureOfAnInterfaceMemberIsAHandlerNotAnImplementation()
    {
        // Only a member named like the interface member implements it; Received merely has OnSocketData's signature.
        const string source = """
            using System;
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public sealed partial class Driver
            {
                [OnSocketData] public ValueTask Received(TcpSocket socket, ReadOnlyMemory<byte> data)
                {
                    global::App.Trace.Last = "handler";
                    return default;
                }
            }
            """;

        (Assembly assembly, FieldInfo last) = GenerateCompileAndLoad(source);
        var driver = (ISocketEventDriver)Activator.CreateInstance(assembly.GetType("App.Driver", throwOnError: true)!)!;
        Wait(driver.OnSocketData(null!, new byte[] { 1 }));
        Assert.Equal("handler", last.GetValue(null));
        Assert.Equal(SocketDriverFeatures.ByteData, driver.Features);
    }

    [Theory]
    [InlineData("public SocketDriverFeatures Features => SocketDriverFeatures.TextData;", SocketDriverFeatures.TextData, false)]
    [InlineData("public SocketDriverFeatures Features() => SocketDriverFeatures.TextData;", SocketDriverFeatures.ByteData, true)]
    public void APublicFeaturesPropertyIsTheDriversFeaturesAndAMethodOfThatNameIsNot(string member, SocketDriverFeatures features, bool generatesFeatures)
    {
        string source = $$"""
            using System;
            using Conserv;

            namespace App;

            public sealed partial class Driver
            {
                {{member}}

                [OnSocketData] void Received(ReadOnlySpan<byte> data) { }
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(output));
        Assert.Equal(generatesFeatures, Assert.Single(result.GeneratedTrees).ToString().Contains("ISocketEventDriver.Features", StringComparison.Ordinal));
        var driver = (ISocketEventDriver)Activator.CreateInstance(GeneratorHarness.Load(output).GetType("App.Driver", throwOnError: true)!)!;
        Assert.Equal(features, driver.Features);
    }

    [Fact]
    public void AnAbstractBaseErrorMemberIsNeverCalledFromTheGeneratedChain()
    {
        // Middle's generated part re-implements OnSocketError; the abstract member has no body to fall back to (CS0205).
        const string source = """
            using System;
            using System.IO;
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public abstract class AbstractBase : ISocketEventDriver
            {
                public abstract ValueTask<bool> OnSocketError(TcpSocket socket, Exception error);
            }

            public abstract partial class Middle : AbstractBase
            {
                [OnSocketError(typeof(IOException))] void Io() => global::App.Trace.Last = "middle io";
            }

            public sealed class Final : Middle
            {
                public override ValueTask<bool> OnSocketError(TcpSocket socket, Exception error) => new(false);
            }
            """;

        (Assembly assembly, FieldInfo last) = GenerateCompileAndLoad(source);
        var driver = (ISocketEventDriver)Activator.CreateInstance(assembly.GetType("App.Final", throwOnError: true)!)!;
        Assert.Equal((true, "middle io"), Run(last, () => driver.OnSocketError(null!, new IOException())));
        Assert.Equal((false, null), Run(last, () => driver.OnSocketError(null!, new FormatException())));
    }

    [Theory]
    [InlineData("public")]
    [InlineData("public virtual")]
    public void AGeneratedDriverOverAHandWrittenBaseFallsBackToTheBasesOwnErrorMember(string modifiers)
    {
        string source = $$"""
            using System;
            using System.IO;
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public class HandWritten : ISocketEventDriver, IServerEventDriver
            {
                {{modifiers}} ValueTask<bool> OnSocketError(TcpSocket socket, Exception error)
                {
                    global::App.Trace.Last = "base socket " + error.GetType().Name;
                    return new(error is TimeoutException);
                }

                {{modifiers}} ValueTask<bool> OnServerError(TcpServer server, Exception error)
                {
                    global::App.Trace.Last = "base server " + error.GetType().Name;
                    return new(true);
                }
            }

            public partial class Middle : HandWritten
            {
                [OnSocketError(typeof(ArgumentException))] void Argument() => global::App.Trace.Last = "middle argument";
            }

            public sealed partial class Derived : Middle
            {
                [OnSocketError(typeof(IOException))] void Io(IOException error) => global::App.Trace.Last = "derived io";
                [OnServerError(typeof(IOException))] void ServerIo() => global::App.Trace.Last = "derived server io";
            }
            """;

        (Assembly assembly, FieldInfo last) = GenerateCompileAndLoad(source);
        object derived = Activator.CreateInstance(assembly.GetType("App.Derived", throwOnError: true)!)!;
        var socket = (ISocketEventDriver)derived;
        var server = (IServerEventDriver)derived;

        Assert.Equal((true, "derived io"), Run(last, () => socket.OnSocketError(null!, new IOException())));
        Assert.Equal((true, "middle argument"), Run(last, () => socket.OnSocketError(null!, new ArgumentException())));
        Assert.Equal((true, "base socket TimeoutException"), Run(last, () => socket.OnSocketError(null!, new TimeoutException())));
        Assert.Equal((false, "base socket InvalidOperationException"), Run(last, () => socket.OnSocketError(null!, new InvalidOperationException())));
        Assert.Equal((true, "derived server io"), Run(last, () => server.OnServerError(null!, new IOException())));
        Assert.Equal((true, "base server FormatException"), Run(last, () => server.OnServerError(null!, new FormatException())));

        var middle = (ISocketEventDriver)Activator.CreateInstance(assembly.GetType("App.Middle", throwOnError: true)!)!;
        Assert.Equal((true, "base socket TimeoutException"), Run(last, () => middle.OnSocketError(null!, new TimeoutException())));
    }

    [Fact]
    public void ADerivedDriverOverABaseTheGeneratorSkipsCallsNothingOfThatBase()
    {
        // The base is not partial: it gets no generated part (the analyzer reports it), so the derived part must not
        // call its error dispatch or ask for the events of its handlers.
        const string source = """
            using System;
            using System.IO;
            using Conserv;

            namespace App;

            public class Base
            {
                [OnSocketData] void Data(TcpSocket socket, ReadOnlyMemory<byte> data) { }
                [OnSocketError(typeof(IOException))] void Io() { }
            }

            public sealed partial class Derived : Base
            {
                [OnSocketError(typeof(TimeoutException))] void Late() { }
            }
            """;

        var derived = GeneratorHarness.Create<ISocketEventDriver>(GeneratorHarness.GenerateAndLoad(source), "App.Derived");
        Assert.Equal(SocketDriverFeatures.None, derived.Features);
        Assert.True(Wait(derived.OnSocketError(null!, new TimeoutException())));
        Assert.False(Wait(derived.OnSocketError(null!, new IOException())));
    }

    [Theory]
    [InlineData("partial struct", "partial struct")]
    [InlineData("partial record struct", "partial record struct")]
    [InlineData("partial record", "partial record")]
    [InlineData("partial interface", "partial interface")]
    [InlineData("static partial class", "partial class")]
    public void ADriverNestedInAStructARecordOrAnInterfaceGetsAPartOfTheSameKind(string outer, string generatedPart)
    {
        string source = $$"""
            using Conserv;

            namespace App;

            public {{outer}} Outer
            {
                public sealed partial class Driver
                {
                    [OnSocketConnect] void Connected(TcpSocket socket) { }
                }
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Contains($"{generatedPart} Outer", Assert.Single(result.GeneratedTrees).ToString());
        Assert.Empty(GeneratorHarness.Problems(output));
        Assembly assembly = GeneratorHarness.Load(output);
        Assert.IsAssignableFrom<ISocketEventDriver>(Activator.CreateInstance(assembly.GetType("App.Outer+Driver", throwOnError: true)!));
    }

    [Theory]
    [InlineData("public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data)", "ByteData")]
    [InlineData("ValueTask ISocketEventDriver.OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data)", "ByteData")]
    [InlineData("public ValueTask OnSocketText(TcpSocket socket, ReadOnlyMemory<char> data)", "TextData")]
    [InlineData("public ValueTask OnSocketOutputEmpty(TcpSocket socket)", "OutputEmpty")]
    public void AGeneratedDriverOverAHandWrittenBaseAsksForTheBasesDataEvents(string member, string feature)
    {
        string source = $$"""
            using System;
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public class HandWritten : ISocketEventDriver
            {
                {{member}} => default;
            }

            public sealed partial class Derived : HandWritten
            {
                [OnSocketConnect] void Connected() { }
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Empty(GeneratorHarness.Problems(output));
        Assembly assembly = GeneratorHarness.Load(output);
        var derived = (ISocketEventDriver)Activator.CreateInstance(assembly.GetType("App.Derived", throwOnError: true)!)!;
        Assert.True(derived.Features.HasFlag(Enum.Parse<SocketDriverFeatures>(feature)), $"Features is {derived.Features}: the base's {feature} handler would never run");
    }

    [Fact]
    public void AnExplicitlyImplementedBaseErrorMemberCannotBeCalledButTheDriverCompiles()
    {
        const string source = """
            using System;
            using System.IO;
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public class HandWritten : ISocketEventDriver
            {
                ValueTask<bool> ISocketEventDriver.OnSocketError(TcpSocket socket, Exception error) => new(true);
            }

            public sealed partial class Derived : HandWritten
            {
                [OnSocketError(typeof(IOException))] void Io() { }
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(output));
        Assert.DoesNotContain("base.", Assert.Single(result.Results[0].GeneratedSources).SourceText.ToString());
    }

    [Theory]
    [InlineData("socket")]
    [InlineData("server")]
    public void AHandWrittenBaseWithOneErrorMemberIsTheFallbackOfThatErrorEventOnly(string implemented)
    {
        string member = implemented == "socket"
            ? "public ValueTask<bool> OnSocketError(TcpSocket socket, Exception error)"
            : "public ValueTask<bool> OnServerError(TcpServer server, Exception error)";
        string source = $$"""
            using System;
            using System.IO;
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public class HandWritten : ISocketEventDriver, IServerEventDriver
            {
                {{member}}
                {
                    global::App.Trace.Last = "base {{implemented}} " + error.GetType().Name;
                    return new(true);
                }
            }

            public sealed partial class Derived : HandWritten
            {
                [OnSocketError(typeof(IOException))] void Io() => global::App.Trace.Last = "derived socket io";
                [OnServerError(typeof(IOException))] void ServerIo() => global::App.Trace.Last = "derived server io";
            }
            """;

        (Assembly assembly, FieldInfo last) = GenerateCompileAndLoad(source);
        object derived = Activator.CreateInstance(assembly.GetType("App.Derived", throwOnError: true)!)!;
        var socket = (ISocketEventDriver)derived;
        var server = (IServerEventDriver)derived;

        Assert.Equal((true, "derived socket io"), Run(last, () => socket.OnSocketError(null!, new IOException())));
        Assert.Equal((true, "derived server io"), Run(last, () => server.OnServerError(null!, new IOException())));
        // An error no handler takes goes to the base's member for the event it implements, and is unhandled for the other.
        (bool, string?) socketFallback = implemented == "socket" ? (true, "base socket FormatException") : (false, null);
        (bool, string?) serverFallback = implemented == "server" ? (true, "base server FormatException") : (false, null);
        Assert.Equal(socketFallback, Run(last, () => socket.OnSocketError(null!, new FormatException())));
        Assert.Equal(serverFallback, Run(last, () => server.OnServerError(null!, new FormatException())));
    }

    [Fact]
    public void ADriverWithOnlyServerErrorHandlersFallsBackToTheHandWrittenBasesServerErrorMember()
    {
        const string Source = """
            using System;
            using System.IO;
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public class HandWritten : IServerEventDriver
            {
                public ValueTask<bool> OnServerError(TcpServer server, Exception error)
                {
                    global::App.Trace.Last = "base server " + error.GetType().Name;
                    return new(true);
                }
            }

            public sealed partial class Derived : HandWritten
            {
                [OnServerError(typeof(IOException))] void ServerIo() => global::App.Trace.Last = "derived server io";
            }
            """;

        (Assembly assembly, FieldInfo last) = GenerateCompileAndLoad(Source);
        var server = (IServerEventDriver)Activator.CreateInstance(assembly.GetType("App.Derived", throwOnError: true)!)!;
        Assert.Equal((true, "derived server io"), Run(last, () => server.OnServerError(null!, new IOException())));
        Assert.Equal((true, "base server FormatException"), Run(last, () => server.OnServerError(null!, new FormatException())));
    }

    [Fact]
    public void ServerErrorHandlersMergeAlongAChainWhoseLevelsHandleDifferentEvents()
    {
        // Base and Middle have server error handlers and no socket error handler; Derived has both kinds.
        const string Source = """
            using System;
            using System.IO;
            using Conserv;

            namespace App;

            public partial class Base
            {
                [OnServerError(typeof(IOException))] void BaseIo() => global::App.Trace.Last = "base io";
                [OnSocketConnect] void Connected() { }
            }

            public partial class Middle : Base
            {
                [OnServerError(typeof(ArgumentException))] void MiddleArgument() => global::App.Trace.Last = "middle argument";
            }

            public sealed partial class Derived : Middle
            {
                [OnServerError(typeof(FormatException))] void DerivedFormat() => global::App.Trace.Last = "derived format";
                [OnSocketError] void AnySocketError() => global::App.Trace.Last = "derived socket";
            }
            """;

        (Assembly assembly, FieldInfo last) = GenerateCompileAndLoad(Source);
        object derived = Activator.CreateInstance(assembly.GetType("App.Derived", throwOnError: true)!)!;
        var server = (IServerEventDriver)derived;
        Assert.Equal((true, "derived format"), Run(last, () => server.OnServerError(null!, new FormatException())));
        Assert.Equal((true, "middle argument"), Run(last, () => server.OnServerError(null!, new ArgumentException())));
        Assert.Equal((true, "base io"), Run(last, () => server.OnServerError(null!, new IOException())));
        Assert.Equal((false, null), Run(last, () => server.OnServerError(null!, new InvalidOperationException())));
        Assert.Equal((true, "derived socket"), Run(last, () => ((ISocketEventDriver)derived).OnSocketError(null!, new IOException())));
    }

    [Fact]
    public void AnErrorHandlerMayTakeTheExceptionAsABaseTypeOfTheTypeItHandles()
    {
        const string Source = """
            using System.IO;
            using Conserv;

            namespace App;

            public sealed partial class Driver
            {
                [OnSocketError(typeof(FileNotFoundException))]
                void Missing(IOException error) => global::App.Trace.Last = "missing " + error.GetType().Name;
            }
            """;

        (Assembly assembly, FieldInfo last) = GenerateCompileAndLoad(Source);
        var driver = (ISocketEventDriver)Activator.CreateInstance(assembly.GetType("App.Driver", throwOnError: true)!)!;
        Assert.Equal((true, "missing FileNotFoundException"), Run(last, () => driver.OnSocketError(null!, new FileNotFoundException())));
        Assert.Equal((false, null), Run(last, () => driver.OnSocketError(null!, new IOException())));
    }

    /// <summary>Runs the generator over <paramref name="source"/> and <see cref="Trace"/>, checks it ran cleanly and the output compiles, and loads it with its trace field.</summary>
    private static (Assembly Assembly, FieldInfo Last) GenerateCompileAndLoad(string source)
    {
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source, Trace));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(output));

        Assembly assembly = GeneratorHarness.Load(output);
        return (assembly, assembly.GetType("App.Trace")!.GetField("Last")!);
    }

    private static bool Wait(ValueTask<bool> task) => task.AsTask().Result;

    private static void Wait(ValueTask task) => task.AsTask().Wait();

    private static (bool Handled, string? Trace) Run(FieldInfo last, Func<ValueTask<bool>> call)
    {
        last.SetValue(null, null);
        bool handled = call().AsTask().Result;
        return (handled, (string?)last.GetValue(null));
    }
}
