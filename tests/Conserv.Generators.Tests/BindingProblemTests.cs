using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Conserv.Generators.Model;
using Conserv.Generators.Parsing;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Conserv.Generators.Tests;

/// <summary>
/// The shared parser reports each binding problem to its callback (what the analyzers will report), and the
/// generator, given the same code, emits nothing for what has a problem and never throws.
/// </summary>
public class BindingProblemTests
{
    private const string Usings = "using System; using System.IO; using System.Threading; using System.Threading.Tasks; using Conserv;\n";

    // A frame type, a decoder of it, and a class that is not a decoder (its frame parameter is already reported with it).
    private const string Decoders = """
        public sealed record Command(string Name);
        public sealed class CommandDecoder : IFrameDecoder<Command> { public int Decode(ReadOnlyMemory<byte> input, out Command frame) { frame = null!; return 0; } public void Reset() { } }
        public sealed class NotADecoder { }

        """;

    [Theory]
    [InlineData("public class D { [OnSocketConnect] void C() { } }", nameof(HandlerProblem.NotPartial), "D")]
    [InlineData("public class O { public partial class D { [OnSocketConnect] void C() { } } }", nameof(HandlerProblem.NotPartial), "O")]
    [InlineData("public partial struct D { [OnSocketConnect] void C() { } }", nameof(HandlerProblem.DriverNotClass), "D")]
    [InlineData("public static partial class D { [OnSocketConnect] static void C() { } }", nameof(HandlerProblem.DriverIsStatic), "D")]
    [InlineData("public partial class D { [OnSocketConnect] ~D() { } }", nameof(HandlerProblem.NotOrdinaryMethod), "Finalize")]
    [InlineData("public partial class D { [OnSocketConnect] public static D operator +(D a, D b) => a; }", nameof(HandlerProblem.NotOrdinaryMethod), "op_Addition")]
    [InlineData("public partial class D { [OnSocketData] async ValueTask C(ReadOnlySpan<byte> data) => await Task.Yield(); }", nameof(HandlerProblem.SpanInAsyncHandler), "data")]
    [InlineData("public partial class D { [OnSocketConnect] void C<T>() { } }", nameof(HandlerProblem.GenericHandler), "C")]
    [InlineData("public partial class D { [OnSocketConnect] void C(int count) { } }", nameof(HandlerProblem.UnbindableParameter), "count")]
    [InlineData("public partial class D { [OnSocketConnect] void C(ref TcpSocket s) { } }", nameof(HandlerProblem.UnbindableParameter), "s")]
    [InlineData("public partial class D { [OnServerListen] void C(TcpSocket s) { } }", nameof(HandlerProblem.UnbindableParameter), "s")]
    [InlineData("public partial class D { [OnSocketConnect] void C(ReadOnlySpan<byte> d) { } }", nameof(HandlerProblem.UnbindableParameter), "d")]
    [InlineData("public partial class D { [OnSocketConnect] void C(TcpSocket a, TcpSocket b) { } }", nameof(HandlerProblem.DuplicateParameter), "b")]
    [InlineData("public partial class D { [OnSocketData] void C(byte[] a, string b) { } }", nameof(HandlerProblem.DuplicateParameter), "b")]
    [InlineData("public partial class D { [OnSocketData] void C(TcpSocket s) { } }", nameof(HandlerProblem.MissingDataParameter), "C")]
    [InlineData("public partial class D { [OnSocketConnect] void C(TcpServer server) { } }", nameof(HandlerProblem.ParameterMustBeNullable), "server")]
    [InlineData("public partial class D { [OnSocketClose] void C(Exception cause) { } }", nameof(HandlerProblem.ParameterMustBeNullable), "cause")]
    [InlineData("public partial class D { [OnSocketError(typeof(string))] void C() { } }", nameof(HandlerProblem.ExceptionTypeNotException), "C")]
    [InlineData("public partial class D { [OnSocketError(typeof(string))] void C(TcpSocket s, Exception e) { } }", nameof(HandlerProblem.ExceptionTypeNotException), "C")]
    [InlineData("public partial class D { [OnServerError(typeof(int))] void C(TcpServer s, IOException e) { } }", nameof(HandlerProblem.ExceptionTypeNotException), "C")]
    [InlineData("public partial class D { [OnSocketError(typeof(string))] void C(string e) { } }", nameof(HandlerProblem.ExceptionTypeNotException), "C")]
    [InlineData("public partial class D { [OnSocketError(typeof(IOException))] void C(InvalidOperationException e) { } }", nameof(HandlerProblem.ParameterNotAssignableFromExceptionType), "e")]
    [InlineData("public partial class D { [OnSocketError] void C(IOException e) { } }", nameof(HandlerProblem.ParameterNotAssignableFromExceptionType), "e")]
    [InlineData("public partial class D { [OnSocketConnect] int C() => 0; }", nameof(HandlerProblem.UnsupportedReturnType), "C")]
    [InlineData("public partial class D { [OnSocketConnect] Task<int> C() => Task.FromResult(0); }", nameof(HandlerProblem.UnsupportedReturnType), "C")]
    [InlineData("public partial class D { [OnSocketClose] ValueTask C() => default; }", nameof(HandlerProblem.UnsupportedReturnType), "C")]
    [InlineData("public partial class D { [OnSocketConnect] async void C() => await Task.Yield(); }", nameof(HandlerProblem.AsyncVoid), "C")]
    [InlineData("public partial class D { [OnSocketConnect] void A() { } [OnSocketConnect] void B() { } }", nameof(HandlerProblem.DuplicateHandler), "B")]
    [InlineData("public partial class D { [OnSocketData] void A(byte[] d) { } [OnSocketData] void B(ReadOnlySpan<byte> d) { } }", nameof(HandlerProblem.DuplicateHandler), "B")]
    [InlineData("public partial class D { [OnSocketError(typeof(IOException))] void A() { } [OnSocketError(typeof(IOException))] void B() { } }", nameof(HandlerProblem.DuplicateErrorType), "B")]
    [InlineData("public partial class D { [OnSocketError] void A() { } [OnSocketError(typeof(Exception))] void B() { } }", nameof(HandlerProblem.DuplicateErrorType), "B")]
    [InlineData("public partial class D { [OnSocketError(typeof(IOException))] void C(int count) { } }", nameof(HandlerProblem.UnbindableParameter), "count")]
    [InlineData("public partial class D { [OnSocketConnect] void C(Exception e) { } }", nameof(HandlerProblem.UnbindableParameter), "e")]
    [InlineData("public partial class D { [OnSocketData] void C(Memory<byte> d) { } }", nameof(HandlerProblem.UnbindableParameter), "d")]
    [InlineData("public partial class D { [OnSocketData] void C(Memory<char> d) { } }", nameof(HandlerProblem.UnbindableParameter), "d")]
    [InlineData(Decoders + "public partial class D { [OnSocketFrame(Decoder = typeof(NotADecoder))] void C(Command frame) { } }", nameof(HandlerProblem.InvalidDecoder), "C")]
    [InlineData(Decoders + "public partial class D { [OnSocketFrame(Decoder = typeof(NotADecoder))] void C(TcpSocket socket) { } }", nameof(HandlerProblem.InvalidDecoder), "C")]
    [InlineData(Decoders + "public partial class D { [OnSocketFrame(Decoder = typeof(CommandDecoder))] void C(Command frame, int count) { } }", nameof(HandlerProblem.UnbindableParameter), "count")]
    [InlineData(Decoders + "public partial class D { [OnSocketFrame(Decoder = typeof(CommandDecoder))] void C(TcpSocket socket) { } }", nameof(HandlerProblem.MissingDataParameter), "C")]
    public void EachProblemIsReportedOnItsSymbolAndNothingIsGeneratedForIt(string source, string expected, string symbolName)
    {
        List<BindingProblem> problems = ParseAll(Usings + source);

        BindingProblem problem = Assert.Single(problems.Distinct());
        Assert.Equal(expected, problem.Kind.ToString());
        Assert.Equal(symbolName, problem.Symbol.Name);
        Assert.Empty(GeneratorHarness.Generate(Usings + source));
    }

    [Theory]
    [InlineData("public partial class D { [OnSocketData] void A(byte[] d) { } [OnSocketData] void B(ReadOnlySpan<byte> d) { } }", "bytes")]
    [InlineData("public partial class D { [OnSocketData] void A(string t) { } [OnSocketData] void B(ReadOnlyMemory<char> t) { } }", "text")]
    [InlineData("public partial class D { [OnSocketConnect] void A() { } [OnSocketConnect] void B() { } }", null)]
    public void ADuplicateHandlerNamesTheDataSlotAndTheEarlierHandler(string source, string? slot)
    {
        BindingProblem problem = Assert.Single(ParseAll(Usings + source));

        Assert.Equal(HandlerProblem.DuplicateHandler, problem.Kind);
        Assert.Equal(slot, problem.Detail);
        Assert.Equal("A", problem.Other?.Name);
    }

    // Problems that leave the rest of the driver generated: the handler named by the problem (or, for an unreachable base
    // error member, the call to it) is left out, and E, the handler beside it, is still called.
    [Theory]
    [InlineData("public partial class D { [OnSocketConnect] void __ConservC() { } [OnSocketEndOfFile] void E() { } }",
        nameof(HandlerProblem.ReservedName), "__ConservC", "__Conserv", null, "__ConservC(")]
    [InlineData("public partial class D { public ValueTask OnSocketConnect(TcpSocket socket) => default; [OnSocketConnect] void C() { } [OnSocketEndOfFile] void E() { } }",
        nameof(HandlerProblem.HandWrittenEvent), "C", "ISocketEventDriver.OnSocketConnect", "OnSocketConnect", "this.C(")]
    [InlineData("public class B : ISocketEventDriver { ValueTask<bool> ISocketEventDriver.OnSocketError(TcpSocket socket, Exception error) => new(true); } public partial class D : B { [OnSocketError] void C() { } [OnSocketEndOfFile] void E() { } }",
        nameof(HandlerProblem.UnreachableBaseErrorMember), "D", "ISocketEventDriver.OnSocketError", "Conserv.ISocketEventDriver.OnSocketError", "base.")]
    [InlineData("public partial class D { [OnSocketData] void C(ReadOnlySpan<byte> data) { } [OnSocketLine] void L(string line) { } [OnSocketEndOfFile] void E() { } }",
        nameof(HandlerProblem.FramingConflict), "L", "C", "C", "this.L(")]
    [InlineData("public partial class D { [OnSocketLine] void C(string line) { } [OnSocketLine(Ending = LineEnding.Lf)] void L(ReadOnlySpan<byte> line) { } [OnSocketEndOfFile] void E() { } }",
        nameof(HandlerProblem.FramingConflict), "L", "C", "C", "this.L(")]
    public void AProblemWithOneHandlerIsReportedAndTheOtherHandlersAreStillGenerated(string source, string expected, string symbolName, string detail, string? other, string leftOut)
    {
        BindingProblem problem = Assert.Single(ParseAll(Usings + source));

        Assert.Equal(expected, problem.Kind.ToString());
        Assert.Equal(symbolName, problem.Symbol.Name);
        Assert.Equal(detail, problem.Detail);
        Assert.Equal(other, problem.Other?.Name);
        string generated = Assert.Single(GeneratorHarness.Generate(Usings + source)).Value;
        Assert.Contains("this.E(", generated);
        Assert.DoesNotContain(leftOut, generated);
    }

    [Fact]
    public void AFileLocalDriverIsReportedWithTheFileLocalTypeThatHidesIt()
    {
        const string source = Usings + """
            file partial class Local { [OnSocketConnect] void C() { } }
            file class Holder { public partial class Inner { [OnSocketConnect] void C() { } } }
            """;

        List<BindingProblem> problems = ParseAll(source);

        Assert.Equal(
            new (string, string?)[] { ("Local", "Local"), ("Inner", "Holder") },
            problems.Select(p => (p.Symbol.Name, p.Detail)).OrderByDescending(p => p.Name == "Local").ToArray());
        Assert.All(problems, p => Assert.Equal(HandlerProblem.FileLocalDriver, p.Kind));
        Assert.Empty(GeneratorHarness.Generate(source));
    }

    [Fact]
    public void ADuplicateErrorTypeNamesTheExceptionTypeAndTheEarlierHandler()
    {
        BindingProblem problem = Assert.Single(ParseAll(Usings + "public partial class D { [OnSocketError(typeof(IOException))] void A() { } [OnSocketError(typeof(IOException))] void B() { } }"));

        Assert.Equal(HandlerProblem.DuplicateErrorType, problem.Kind);
        Assert.Equal("global::System.IO.IOException", problem.Detail);
        Assert.Equal("A", problem.Other?.Name);
    }

    [Fact]
    public void AHandlerAttributeOnALocalFunctionOrLambdaIsIgnoredByTheParserAndTheGenerator()
    {
        // Not members of the type: the analyzer reports them (CONSERV012) from the syntax; the generator emits nothing.
        const string source = Usings + """
            public partial class D
            {
                void M()
                {
                    [OnSocketConnect] void Local(TcpSocket s) { }
                    Action<TcpSocket> lambda = [OnSocketEndOfFile] (TcpSocket s) => { };
                    Local(null!);
                    lambda(null!);
                }
            }
            """;

        Assert.Empty(ParseAll(source));
        Assert.Empty(GeneratorHarness.Generate(source));
    }

    [Fact]
    public void OverloadedHandlersOfOneEventAreBothBoundAndGetNoMemberOfTheirOwn()
    {
        // Bytes and text: two handlers of OnSocketData with one name. A derived driver needs nothing per handler from
        // its base (issue 11: the per-handler trampolines, which needed numbered names here, are gone).
        const string source = Usings + """
            public partial class D
            {
                [OnSocketData] void Handle(byte[] data) { }
                [OnSocketData] void Handle(string text) { }
            }
            """;

        Assert.Empty(ParseAll(source));
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        string generated = Assert.Single(Assert.Single(result.Results).GeneratedSources).SourceText.ToString();
        Assert.Contains("this.Handle(data.ToArray());", generated);
        Assert.Contains("this.Handle(data.ToString());", generated);
        Assert.DoesNotContain("__Conserv1_SocketData", generated);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Theory]
    [InlineData("AtLowWaterMark = false", "global::Conserv.SocketDriverFeatures.OutputEmpty;")]
    [InlineData("", "global::Conserv.SocketDriverFeatures.OutputEmpty;")]
    [InlineData("AtLowWaterMark = true", "global::Conserv.SocketDriverFeatures.OutputEmpty | global::Conserv.SocketDriverFeatures.OutputEmptyAtLowWaterMark;")]
    public void OnlyAtLowWaterMarkSetToTrueAsksForTheLowWaterMarkEvent(string arguments, string features)
    {
        string source = Usings + "public sealed partial class D { [OnSocketOutputEmpty(" + arguments + ")] void Drained(TcpSocket socket) { } }";

        string generated = Assert.Single(GeneratorHarness.Generate(source)).Value;
        Assert.Contains("global::Conserv.ISocketEventDriver.Features => " + features, generated);
    }

    [Theory]
    [InlineData("typeof(Missing)", "CS0246")]
    [InlineData("Type.GetType(\"System.IO.IOException\")", "CS0182")]
    public void AnErrorHandlerForAnExceptionTypeThatDoesNotExistIsLeftToTheCompiler(string argument, string compilerError)
    {
        // The compiler reports the attribute already: the parser reports nothing more (not "not an Exception") and binds nothing.
        CSharpCompilation compilation = GeneratorHarness.Compile(Usings + "public partial class D { [OnSocketError(" + argument + ")] void C() { } }");
        Assert.Contains(compilation.GetDiagnostics(), d => d.Id == compilerError);
        INamedTypeSymbol type = compilation.GetTypeByMetadataName("D")!;
        var problems = new List<BindingProblem>();

        List<HandlerModel> handlers = DriverParser.BindLevel(type, new KnownTypes(compilation), problems.Add, CancellationToken.None);

        Assert.Empty(problems);
        Assert.Empty(handlers);
    }

    [Fact]
    public void AnErrorHandlerForTypeofNullIsReportedAsForTheTypeNull()
    {
        BindingProblem problem = Assert.Single(ParseAll(Usings + "public partial class D { [OnSocketError(null!)] void C() { } }"));

        Assert.Equal(HandlerProblem.ExceptionTypeNotException, problem.Kind);
        Assert.Equal("null", problem.Detail);
    }

    [Fact]
    public void BindingAHandlerLevelStopsWhenTheGeneratorIsCancelled()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Usings + "public partial class D { [OnSocketConnect] void C() { } }");
        INamedTypeSymbol type = compilation.GetTypeByMetadataName("D")!;

        Assert.Throws<OperationCanceledException>(() => DriverParser.BindLevel(type, new KnownTypes(compilation), null, new CancellationToken(canceled: true)));
    }

    [Fact]
    public void ASynchronousHandlerMayTakeACancellationTokenWhichIsTheClosedToken()
    {
        // Meant for async handlers (DESIGN §5), accepted in synchronous ones: it is the socket's or server's ClosedToken.
        const string source = Usings + """
            public sealed partial class D
            {
                [OnSocketConnect] void Connected(TcpSocket socket, CancellationToken closed) { }
                [OnServerListen] void Listening(CancellationToken closed) { }
            }
            """;

        Assert.Empty(ParseAll(source));
        string generated = Assert.Single(GeneratorHarness.Generate(source)).Value;
        Assert.Contains("this.Connected(socket, socket.ClosedToken);", generated);
        Assert.Contains("this.Listening(server.ClosedToken);", generated);
    }

    [Fact]
    public void AnUnbindableHandlerIsSkippedWhileTheOthersAreGenerated()
    {
        const string source = Usings + """
            public sealed partial class D
            {
                [OnSocketConnect] void Good(TcpSocket socket) { }
                [OnSocketEndOfFile] void Bad(int nope) { }
            }
            """;

        string generated = Assert.Single(GeneratorHarness.Generate(source)).Value;

        Assert.Contains("OnSocketConnect", generated);
        Assert.DoesNotContain("OnSocketEndOfFile", generated);
        Assert.DoesNotContain("Bad", generated);
    }

    [Fact]
    public void ValidDriversReportNoProblem()
    {
        const string source = Usings + """
            public partial class D
            {
                [OnSocketData] void Bytes(ReadOnlySpan<byte> data, TcpSocket socket, TcpServer? server, CancellationToken closed) { }
                [OnSocketData] Task Text(ReadOnlyMemory<char> text) => Task.CompletedTask;
                [OnSocketError(typeof(EndOfStreamException))] void Eof(IOException e, TcpSocket s) { }
                [OnSocketError(typeof(IOException))] void Io(System.Runtime.Serialization.ISerializable e) { }
                [OnSocketClose] void Closed(Exception? cause) { }
                [OnServerConnection] void Accepted(TcpSocket client, TcpServer server) { }
                [OnServerError(typeof(IOException))] static ValueTask Failed(Exception e) => default;
            }
            """;

        Assert.Empty(ParseAll(source));
        Assert.Single(GeneratorHarness.Generate(source));
    }

    [Theory]
    [InlineData("public partial class D { [OnSocketConnect] void C(Missing m) { } }")]
    [InlineData("public partial class D { [OnSocketError(typeof(Missing))] void C(Exception e) { } }")]
    [InlineData("public partial class D { [OnSocketData] void C(byte[] d) }")]
    [InlineData("public partial class D { [OnSocketConnect] void C(TcpSocket s) { } [OnSocketConnect] }")]
    [InlineData("partial class { [OnSocketConnect] void C() { } }")]
    [InlineData("public partial class D : Missing { [OnSocketError] void C() { } }")]
    [InlineData("public partial class D { [OnSocketConnect(42)] void C() { } }")]
    public void BrokenCodeNeverMakesTheGeneratorThrowOrReport(string source)
    {
        IReadOnlyDictionary<string, string> generated = GeneratorHarness.Generate(Usings + source);

        Assert.All(generated.Keys, hint => Assert.EndsWith(".Conserv.g.cs", hint));
    }

    [Fact]
    public void WithoutTheRuntimeNothingIsGenerated()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(
            "NoRuntime",
            Basic.Reference.Assemblies.Net100.References.All,
            "namespace Conserv { public sealed class OnSocketConnectAttribute : System.Attribute { } }\npublic partial class D { [Conserv.OnSocketConnect] void C() { } }");

        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run(compilation);

        Assert.Empty(result.GeneratedTrees);
        Assert.Null(Assert.Single(result.Results).Exception);
    }

    /// <summary>
    /// A compilation with only part of the runtime (every handler attribute but no <c>TcpSocket</c>, say: a stub, or a
    /// runtime of another version) gets nothing generated: the generated part would name what is missing.
    /// </summary>
    [Theory]
    [InlineData("Conserv.TcpSocket")]
    [InlineData("Conserv.TcpServer")]
    [InlineData("Conserv.OnServerCloseAttribute")]
    public void WithPartOfTheRuntimeNothingIsGenerated(string missing)
    {
        IEnumerable<string> declared = KnownTypes.Attributes.Select(a => a.Key)
            .Concat(new[] { "Conserv.TcpSocket", "Conserv.TcpServer" })
            .Where(name => name != missing)
            .Select(name => $"public sealed class {name["Conserv.".Length..]} : {(name.EndsWith("Attribute", StringComparison.Ordinal) ? "System.Attribute" : "object")} {{ }}");
        CSharpCompilation compilation = GeneratorHarness.Compile(
            "PartialRuntime",
            Basic.Reference.Assemblies.Net100.References.All,
            $"namespace Conserv {{ {string.Join(" ", declared)} }}\npublic partial class D {{ [Conserv.OnSocketConnect] void C() {{ }} }}");

        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run(compilation);

        Assert.Empty(result.GeneratedTrees);
        Assert.Null(Assert.Single(result.Results).Exception);
    }

    /// <summary>Parses every class of the source with the shared parser, the way the analyzers will, collecting the problems.</summary>
    internal static List<BindingProblem> ParseAll(string source) => ParseAll(GeneratorHarness.Compile(source));

    /// <summary>Parses every class of <paramref name="compilation"/> that has a method with an attribute, collecting the problems.</summary>
    internal static List<BindingProblem> ParseAll(CSharpCompilation compilation)
    {
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS4012"));
        var known = new KnownTypes(compilation);
        var problems = new List<BindingProblem>();
        foreach (INamedTypeSymbol type in AllTypes(compilation.Assembly.GlobalNamespace))
        {
            DriverParser.Parse(type, known, problems.Add, CancellationToken.None);
        }

        return problems;
    }

    private static IEnumerable<INamedTypeSymbol> AllTypes(INamespaceOrTypeSymbol container)
    {
        foreach (ISymbol member in container.GetMembers())
        {
            if (member is INamespaceOrTypeSymbol nested)
            {
                if (nested is INamedTypeSymbol type && type.GetMembers().OfType<IMethodSymbol>().Any(m => m.GetAttributes().Any()))
                {
                    yield return type;
                }

                foreach (INamedTypeSymbol inner in AllTypes(nested))
                {
                    yield return inner;
                }
            }
        }
    }
}
