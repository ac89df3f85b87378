using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Verify = Conserv.Analyzers.Tests.Infrastructure.Verifier<Conserv.Analyzers.HandlerSignatureAnalyzer>;

namespace Conserv.Analyzers.Tests.Rules;

public class HandlerSignatureTests
{
    [Fact]
    public Task CONSERV002_fires_on_a_parameter_the_event_cannot_supply_and_lists_the_allowed_ones() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketConnect]
            void Connected(TcpSocket socket, {|#0:int|} attempts) { }
        }
        """,
        new DiagnosticResult("CONSERV002", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("Parameter 'attempts' of handler 'Connected' is 'int', which the [OnSocketConnect] event cannot supply; allowed parameters, in any order: TcpSocket, TcpServer? (null for a client socket), CancellationToken"));

    [Fact]
    public Task CONSERV002_fires_on_a_socket_parameter_of_a_server_event_and_on_ref_parameters() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnServerListen]
            void Listening(TcpServer server, {|CONSERV002:TcpSocket|} socket) { }

            [OnSocketConnect]
            void Connected(ref {|CONSERV002:TcpSocket|} socket) { }
        }
        """);

    [Fact]
    public Task CONSERV002_is_silent_on_every_parameter_each_event_supplies() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketConnect] void Connected(TcpSocket socket, TcpServer? server, CancellationToken closed) { }
            [OnSocketData] void Bytes(ReadOnlyMemory<byte> data, CancellationToken closed, TcpServer? server, TcpSocket socket) { }
            [OnSocketData] void Text(string text, TcpSocket socket) { }
            [OnSocketEndOfFile] void Eof(TcpSocket socket) { }
            [OnSocketOutputEmpty] void Drained(TcpSocket socket) { }
            [OnSocketClose] void Closed(TcpSocket socket, Exception? cause) { }
            [OnSocketError(typeof(IOException))] void Failed(TcpSocket socket, Exception error, TcpServer? server) { }
            [OnServerListen] void Listening(TcpServer server) { }
            [OnServerConnection] void Accepted(TcpSocket client, TcpServer server) { }
            [OnServerError] void ServerFailed(TcpServer server, Exception error) { }
            [OnServerClose] void ServerClosed(TcpServer server, CancellationToken closed) { }
        }

        public partial class OtherData
        {
            [OnSocketData] void Span(ReadOnlySpan<byte> data) { }
            [OnSocketData] void Chars(ReadOnlySpan<char> text) { }
        }

        public partial class MoreData
        {
            [OnSocketData] void Array(byte[] data) { }
            [OnSocketData] void Chars(ReadOnlyMemory<char> text) { }
        }

        public partial class SegmentData
        {
            [OnSocketData] void Segment(ArraySegment<byte> data) { }
        }
        """);

    [Fact]
    public Task CONSERV012_fires_on_a_handler_attribute_on_an_accessor() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            int Count { [OnSocketConnect] {|CONSERV012:get|} => 0; }
        }
        """);

    [Fact]
    public Task CONSERV012_fires_on_a_handler_attribute_on_a_local_function_or_a_lambda() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketConnect]
            void Connected(TcpSocket socket)
            {
                [OnSocketData]
                void {|#0:Received|}(ReadOnlySpan<byte> data) { }

                Action<TcpSocket> eof = [{|#1:OnSocketEndOfFile|}] (TcpSocket s) => { };
                Action<TcpSocket> plain = [Obsolete] (TcpSocket s) => { };
                Func<int> count = () => 0;
            }
        }

        public class NotADriver
        {
            static void Main()
            {
                [OnSocketError(typeof(IOException))]
                static void {|CONSERV012:Failed|}(IOException error) { }
            }
        }
        """,
        new DiagnosticResult("CONSERV012", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("'Received' cannot be a handler: only ordinary methods can (not local functions, lambdas, accessors, operators, constructors or explicit interface implementations); move the code into a method"),
        new DiagnosticResult("CONSERV012", DiagnosticSeverity.Error).WithLocation(1)
            .WithMessage("'lambda' cannot be a handler: only ordinary methods can (not local functions, lambdas, accessors, operators, constructors or explicit interface implementations); move the code into a method"));

    [Fact]
    public Task CONSERV013_fires_on_a_generic_handler_but_not_on_a_generic_driver() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketConnect]
            void {|CONSERV013:Connected|}<T>(TcpSocket socket) { }
        }

        public partial class GenericDriver<T>
        {
            [OnSocketConnect]
            void Connected(TcpSocket socket) { }
        }
        """);

    [Fact]
    public Task CONSERV014_fires_on_a_second_parameter_bound_to_the_same_value() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketData]
            void Received(TcpSocket socket, ReadOnlySpan<byte> data, {|CONSERV014:byte[]|} copy, {|CONSERV014:TcpSocket|} again) { }
        }
        """);

    [Fact]
    public Task CONSERV015_fires_on_a_data_handler_without_data() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketData]
            void {|CONSERV015:Received|}(TcpSocket socket) { }

            [OnSocketEndOfFile]
            void Eof(TcpSocket socket) { }
        }
        """);

    [Fact]
    public Task CONSERV016_fires_on_parameters_that_may_receive_null_but_are_not_nullable() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketConnect]
            void Connected(TcpSocket socket, {|CONSERV016:TcpServer|} server) { }

            [OnSocketClose]
            void Closed({|CONSERV016:Exception|} cause) { }

            [OnServerListen]
            void Listening(TcpServer server) { }
        }
        """);

    [Fact]
    public Task CONSERV017_fires_on_unsupported_return_types() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketConnect]
            {|#0:int|} Connected(TcpSocket socket) => 0;

            [OnSocketClose]
            {|CONSERV017:Task|} Closed(TcpSocket socket) => Task.CompletedTask;

            [OnSocketData]
            Task Received(ReadOnlyMemory<byte> data) => Task.CompletedTask;

            [OnSocketEndOfFile]
            ValueTask Eof(TcpSocket socket) => default;
        }
        """,
        new DiagnosticResult("CONSERV017", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("Handler 'Connected' returns 'int': a [OnSocketConnect] handler returns void, ValueTask or Task"));

    [Fact]
    public Task CONSERV018_fires_on_a_span_in_an_async_handler() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketData]
            async ValueTask Received(TcpSocket socket, {|CONSERV018:ReadOnlySpan<byte>|} {|CS4012:data|}) => await Task.Yield();
        }

        public partial class MemoryDriver
        {
            [OnSocketData]
            async ValueTask Received(TcpSocket socket, ReadOnlyMemory<byte> data) => await Task.Yield();
        }
        """);

    [Fact]
    public async Task A_wrongly_typed_data_parameter_gets_CONSERV002_only()
    {
        // Issue 11, item 9: 'int data' also got CONSERV015 ("takes no data"), which misleads: the data parameter is there, with a wrong type.
        var diagnostics = await Conserv.Analyzers.Tests.Infrastructure.AllAnalyzersRun.AnalyzeAsync(Verify.Usings + """
            public partial class Driver
            {
                [OnSocketData]
                void Received(TcpSocket socket, int data) { }

                [OnSocketData]
                void Text(TcpSocket socket) { }
            }
            """);

        Assert.Equal(["CONSERV002", "CONSERV015"], System.Linq.Enumerable.Select(diagnostics, d => d.Id));
        Assert.Contains("Text(", diagnostics[1].GetMessage());
    }
}
