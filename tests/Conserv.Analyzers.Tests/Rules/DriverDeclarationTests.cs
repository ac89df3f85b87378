using Microsoft.CodeAnalysis.Diagnostics;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using System.Threading.Tasks;
using Conserv.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Verify = Conserv.Analyzers.Tests.Infrastructure.Verifier<Conserv.Analyzers.DriverDeclarationAnalyzer>;

namespace Conserv.Analyzers.Tests.Rules;

public class DriverDeclarationTests
{
    [Fact]
    public Task CONSERV001_fires_on_a_driver_that_is_not_partial() => Verify.AnalyzeAsync(Verify.Usings + """
        public class {|#0:EchoDriver|}
        {
            [OnSocketData]
            void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
        }
        """,
        new DiagnosticResult("CONSERV001", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("'EchoDriver' must be declared partial: the generator implements the driver 'EchoDriver' in a second part of it"));

    [Fact]
    public Task CONSERV001_fires_on_the_driver_when_a_containing_type_is_not_partial_and_points_at_that_type() => Verify.AnalyzeAsync(Verify.Usings + """
        public class {|#1:Outer|}
        {
            public partial class {|#0:EchoDriver|}
            {
                [OnSocketData]
                void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
            }
        }
        """,
        new DiagnosticResult("CONSERV001", DiagnosticSeverity.Error).WithLocation(0).WithLocation(1)
            .WithMessage("'Outer' must be declared partial: the generator implements the driver 'Outer.EchoDriver' in a second part of it"));

    [Fact]
    public Task CONSERV001_is_silent_on_partial_drivers_nested_in_partial_types() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Outer
        {
            public sealed partial class EchoDriver
            {
                [OnSocketData]
                void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
            }
        }

        public class NotADriver
        {
            void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
        }
        """);

    [Fact]
    public Task CONSERV010_fires_on_handlers_in_a_struct() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial struct {|CONSERV010:Driver|}
        {
            [OnSocketConnect]
            void Connected(TcpSocket socket) { }
        }
        """);

    [Fact]
    public Task CONSERV011_fires_on_handlers_in_a_static_class() => Verify.AnalyzeAsync(Verify.Usings + """
        public static partial class {|CONSERV011:Driver|}
        {
            [OnSocketConnect]
            static void Connected(TcpSocket socket) { }
        }

        public partial class InstanceDriver
        {
            [OnSocketConnect]
            static void Connected(TcpSocket socket) { }
        }
        """);
}

public class FileLocalAndLanguageVersionTests
{
    [Fact]
    public Task CONSERV020_fires_on_a_file_local_driver_and_a_driver_nested_in_a_file_local_type() => Verify.AnalyzeAsync(Verify.Usings + """
        file partial class {|#0:LocalDriver|}
        {
            [OnSocketConnect]
            void Connected(TcpSocket socket) { }
        }

        file class Outer
        {
            public partial class {|#1:Inner|}
            {
                [OnSocketConnect]
                void Connected(TcpSocket socket) { }
            }
        }
        """,
        new DiagnosticResult("CONSERV020", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("Driver 'LocalDriver' is file-local ('LocalDriver' is declared 'file'), and the generated driver code is another file, which cannot be a part of it: so it is not generated; remove 'file' (a private nested or internal driver is hidden too)"),
        new DiagnosticResult("CONSERV020", DiagnosticSeverity.Error).WithLocation(1)
            .WithMessage("Driver 'Outer.Inner' is file-local ('Outer' is declared 'file'), and the generated driver code is another file, which cannot be a part of it: so it is not generated; remove 'file' (a private nested or internal driver is hidden too)"));

    [Fact]
    public Task CONSERV020_fires_on_an_error_attribute_naming_a_file_local_exception() => Verify.AnalyzeAsync(Verify.Usings + """
        file sealed class LocalEx : Exception { }

        public partial class Driver
        {
            [OnSocketError({|#0:typeof(LocalEx)|})]
            void Local(Exception e) { }

            [OnServerError(typeof(IOException))]
            void Io(IOException e) { }
        }
        """,
        new DiagnosticResult("CONSERV020", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("Exception type 'LocalEx' is file-local ('LocalEx' is declared 'file'), and the generated driver code is another file, which cannot name it: so it is not generated; handler 'Local' is skipped; remove 'file' from the exception type (make it internal), or handle a type that is not file-local"));

    [Fact]
    public async Task CONSERV021_is_reported_once_per_driver_below_CSharp_8_and_never_at_8()
    {
        const string source = """
            using System;
            using Conserv;

            namespace App
            {
                public partial class Driver
                {
                    [OnSocketConnect] void Connected(TcpSocket socket) { }
                    [OnSocketError] void Failed(Exception e) { }
                }

                public partial class Driver
                {
                    [OnServerListen] void Listening(TcpServer server) { }
                }
            }
            """;
        foreach ((LanguageVersion version, int expected) in new[] { (LanguageVersion.CSharp7_3, 1), (LanguageVersion.CSharp8, 0), (LanguageVersion.Latest, 0) })
        {
            CSharpCompilation compilation = CSharpCompilation.Create(
                "Test",
                [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(version))],
                TestReferences.All,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            var diagnostics = await compilation.WithAnalyzers(AllAnalyzers.Create()).GetAnalyzerDiagnosticsAsync();
            Assert.Equal(expected, diagnostics.Count(d => d.Id == "CONSERV021"));
            if (expected == 1)
            {
                Diagnostic d = Assert.Single(diagnostics);
                Assert.Equal(
                    "The generated part of driver 'App.Driver' needs C# 8.0 or later (#nullable enable, nullable annotations, a static local function), but this project compiles C# 7.3, so nothing is generated: set <LangVersion> to 8.0 or later, or remove it to use the SDK's default",
                    d.GetMessage());
            }
        }
    }
}
