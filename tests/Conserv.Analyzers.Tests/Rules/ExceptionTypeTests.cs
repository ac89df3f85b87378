using System.Linq;
using System.Threading.Tasks;
using Conserv.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Verify = Conserv.Analyzers.Tests.Infrastructure.Verifier<Conserv.Analyzers.ExceptionTypeAnalyzer>;

namespace Conserv.Analyzers.Tests.Rules;

public class ExceptionTypeTests
{
    [Fact]
    public Task CONSERV003_fires_on_an_error_attribute_naming_a_type_that_is_not_an_exception() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketError({|#0:typeof(string)|})]
            void Failed(TcpSocket socket) { }

            [OnServerError({|CONSERV003:typeof(int)|})]
            void ServerFailed(TcpServer server) { }
        }
        """,
        new DiagnosticResult("CONSERV003", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("[OnSocketError] on 'Failed' names 'string', which is not an Exception: name System.Exception or a type derived from it"));

    [Fact]
    public async Task CONSERV003_is_the_only_diagnostic_on_a_handler_whose_attribute_names_no_exception()
    {
        // The exception parameter cannot be judged against a type that is not an exception: no CONSERV002 or CONSERV004 beside CONSERV003.
        var diagnostics = await AllAnalyzersRun.AnalyzeAsync(Verify.Usings + """
            public partial class Driver
            {
                [OnSocketError(typeof(string))]
                void Failed(TcpSocket socket, Exception error) { }

                [OnServerError(typeof(int))]
                void ServerFailed(TcpServer server, IOException error) { }
            }
            """);

        Assert.Equal(["CONSERV003", "CONSERV003"], diagnostics.Select(d => d.Id));
    }

    [Fact]
    public Task CONSERV003_still_leaves_other_unbindable_parameters_to_CONSERV002() =>
        Verifier<HandlerSignatureAnalyzer>.AnalyzeAsync(Verify.Usings + """
            public partial class Driver
            {
                [OnSocketError(typeof(string))]
                void Failed(TcpSocket socket, Exception error, {|#0:Guid|} id) { }
            }
            """,
            new DiagnosticResult("CONSERV002", DiagnosticSeverity.Error).WithLocation(0)
                .WithMessage("Parameter 'id' of handler 'Failed' is 'System.Guid', which the [OnSocketError] event cannot supply; allowed parameters, in any order: TcpSocket, TcpServer? (null for a client socket), CancellationToken, the exception"));

    [Fact]
    public Task CONSERV003_is_silent_on_exception_types() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketError(typeof(SocketException))]
            void Reset(TcpSocket socket, SocketException error) { }

            [OnSocketError(typeof(Exception))]
            void Failed(TcpSocket socket) { }

            [OnServerError]
            void ServerFailed(TcpServer server) { }
        }
        """);

    [Fact]
    public Task CONSERV004_fires_on_an_exception_parameter_the_attribute_type_cannot_be_assigned_to() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketError(typeof(IOException))]
            void Failed(TcpSocket socket, {|#0:SocketException|} error) { }

            [OnSocketError]
            void Other({|CONSERV004:InvalidOperationException|} error) { }
        }
        """,
        new DiagnosticResult("CONSERV004", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("Parameter 'error' of 'Failed' is 'System.Net.Sockets.SocketException', but the handler receives any 'System.IO.IOException', which is not always a 'System.Net.Sockets.SocketException': declare the parameter as 'System.IO.IOException' (or a base of it), or change the attribute to typeof(System.Net.Sockets.SocketException)"));

    [Fact]
    public Task CONSERV004_is_silent_on_the_attribute_type_and_its_bases() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketError(typeof(SocketException))]
            void Reset(SocketException error) { }

            [OnSocketError(typeof(IOException))]
            void Io(Exception error) { }

            [OnServerError(typeof(SocketException))]
            void ServerReset(System.ComponentModel.Win32Exception error) { }
        }
        """);
}
