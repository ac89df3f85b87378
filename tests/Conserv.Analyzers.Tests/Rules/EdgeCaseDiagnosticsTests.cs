using System.Linq;
using System.Threading.Tasks;
using Conserv.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace Conserv.Analyzers.Tests.Rules;

/// <summary>
/// The smaller cases of issue 11, item 8, each reported precisely where the generator skips what it cannot call:
/// CONSERV022 (<c>__arglist</c>), CONSERV023 (obsolete as an error), CONSERV024 (reserved prefix), CONSERV003 (<c>null</c>),
/// CONSERV025 (an event implemented by hand and by a handler), CONSERV026 (a base's explicit error member).
/// </summary>
public class EdgeCaseDiagnosticsTests
{
    private const string Usings = Verifier<HandlerSignatureAnalyzer>.Usings;

    [Fact]
    public Task CONSERV022_fires_on_a_handler_taking_arglist() => Verifier<HandlerSignatureAnalyzer>.AnalyzeAsync(Usings + """
        public partial class Driver
        {
            [OnSocketConnect]
            void {|#0:Connected|}(TcpSocket socket, __arglist) { }
        }
        """,
        new DiagnosticResult("CONSERV022", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("Handler 'Connected' takes __arglist, which the generated call cannot supply, so it is not bound: remove __arglist and take what the event supplies as ordinary parameters"));

    [Fact]
    public Task CONSERV023_fires_on_a_handler_obsolete_as_an_error_only() => Verifier<HandlerSignatureAnalyzer>.AnalyzeAsync(Usings + """
        public partial class Driver
        {
            [Obsolete("use Connected2", true), OnSocketConnect]
            void {|#0:Connected|}(TcpSocket socket) { }

            [Obsolete(null, error: true), OnSocketEndOfFile]
            void {|#1:Ended|}(TcpSocket socket) { }

            [Obsolete("still works"), OnSocketClose]
            void Closed(TcpSocket socket) { }

            [Obsolete("still works", false), OnSocketOutputEmpty]
            void Drained(TcpSocket socket) { }
        }
        """,
        new DiagnosticResult("CONSERV023", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("Handler 'Connected' is [Obsolete(..., true)] (\"use Connected2\"): calling it is an error, so the generated part cannot call it and it is not bound; remove the handler attribute to retire the handler, or make the obsolescence a warning (the generated call reports none)"),
        new DiagnosticResult("CONSERV023", DiagnosticSeverity.Error).WithLocation(1)
            .WithMessage("Handler 'Ended' is [Obsolete(..., true)]: calling it is an error, so the generated part cannot call it and it is not bound; remove the handler attribute to retire the handler, or make the obsolescence a warning (the generated call reports none)"));

    [Fact]
    public Task CONSERV024_fires_on_a_handler_named_with_the_reserved_prefix() => Verifier<HandlerSignatureAnalyzer>.AnalyzeAsync(Usings + """
        public partial class Driver
        {
            [OnSocketConnect]
            void {|#0:__ConservConnected|}(TcpSocket socket) { }

            void __ConservNotAHandler() { }
        }

        public partial class OnlyReserved
        {
            [OnSocketError]
            void {|CONSERV024:__Conserv1_SocketError_Failed|}(Exception error) { }
        }
        """,
        new DiagnosticResult("CONSERV024", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("Handler '__ConservConnected' starts with '__Conserv', the prefix of the generated part's own members, so it is not bound: rename it"));

    [Fact]
    public Task CONSERV003_fires_on_a_null_exception_type() => Verifier<ExceptionTypeAnalyzer>.AnalyzeAsync(Usings + """
        public partial class Driver
        {
            [OnSocketError({|#0:null!|})]
            void Failed(TcpSocket socket, Exception error) { }
        }
        """,
        new DiagnosticResult("CONSERV003", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("[OnSocketError] on 'Failed' names no type (typeof is null): name System.Exception or a type derived from it"));

    [Fact]
    public async Task CONSERV003_alone_on_null_and_on_open_generic_exception_types()
    {
        var diagnostics = await AllAnalyzersRun.AnalyzeAsync(Usings + """
            public sealed class Wrapped<T> : Exception { }

            public partial class Driver
            {
                [OnSocketError(null!)]
                void Failed(TcpSocket socket, Exception error) { }

                [OnServerError(typeof(Wrapped<>))]
                void ServerFailed(TcpServer server, Wrapped<int> error) { }
            }
            """);

        Assert.Equal(["CONSERV003", "CONSERV003"], diagnostics.Select(d => d.Id));
        Assert.Equal(
            "[OnServerError] on 'ServerFailed' names the open generic type 'Wrapped<>', but an exception always has a constructed type: name one (such as typeof(Wrapped<int>)), or a non-generic base of them",
            diagnostics.Single(d => d.GetMessage().Contains("ServerFailed")).GetMessage());
    }

    [Fact]
    public Task CONSERV025_fires_on_an_event_implemented_by_hand_and_by_a_handler() => Verifier<DriverDeclarationAnalyzer>.AnalyzeAsync(Usings + """
        public partial class Driver : ISocketEventDriver
        {
            ValueTask ISocketEventDriver.{|#1:OnSocketData|}(TcpSocket socket, ReadOnlyMemory<byte> data) => default;

            public ValueTask<bool> {|#3:OnSocketError|}(TcpSocket socket, Exception error) => new(false);

            [{|#0:OnSocketData|}]
            void Received(TcpSocket socket, ReadOnlySpan<byte> data) { }

            [OnSocketData]
            void Text(TcpSocket socket, string text) { }

            [{|#2:OnSocketError(typeof(IOException))|}]
            void Io() { }
        }
        """,
        new DiagnosticResult("CONSERV025", DiagnosticSeverity.Error).WithLocation(0).WithLocation(1)
            .WithMessage("'Driver' implements ISocketEventDriver.OnSocketData itself, and the [OnSocketData] handler 'Received' would be a second implementation, so the handler is not bound: remove the hand-written 'Driver.ISocketEventDriver.OnSocketData(TcpSocket, ReadOnlyMemory<byte>)' or the handler"),
        new DiagnosticResult("CONSERV025", DiagnosticSeverity.Error).WithLocation(2).WithLocation(3)
            .WithMessage("'Driver' implements ISocketEventDriver.OnSocketError itself, and the [OnSocketError] handler 'Io' would be a second implementation, so the handler is not bound: remove the hand-written 'Driver.OnSocketError(TcpSocket, Exception)' or the handler"));

    [Fact]
    public Task CONSERV026_fires_on_a_base_whose_error_member_is_explicit() => Verifier<DriverDeclarationAnalyzer>.AnalyzeAsync(Usings + """
        public class Explicit : ISocketEventDriver
        {
            ValueTask<bool> ISocketEventDriver.OnSocketError(TcpSocket socket, Exception error) => new(true);
        }

        public class Implicit : ISocketEventDriver
        {
            public ValueTask<bool> OnSocketError(TcpSocket socket, Exception error) => new(true);
        }

        public partial class {|#0:Derived|} : Explicit
        {
            [OnSocketError(typeof(IOException))]
            void Io() { }
        }

        public partial class NoErrorHandler : Explicit
        {
            [OnSocketConnect]
            void Connected(TcpSocket socket) { }
        }

        public partial class Fine : Implicit
        {
            [OnSocketError(typeof(IOException))]
            void Io() { }
        }
        """,
        new DiagnosticResult("CONSERV026", DiagnosticSeverity.Warning).WithLocation(0)
            .WithMessage("Base 'Explicit' implements ISocketEventDriver.OnSocketError explicitly, which the generated error member of 'Derived' cannot call: an error none of the chain's handlers take is reported unhandled instead of reaching 'Explicit'; implement it in 'Explicit' as a public method, which the generated part calls last"));
}
