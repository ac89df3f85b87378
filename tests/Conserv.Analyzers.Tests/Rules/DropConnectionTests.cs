using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Verify = Conserv.Analyzers.Tests.Infrastructure.Verifier<Conserv.Analyzers.DropConnectionAnalyzer>;

namespace Conserv.Analyzers.Tests.Rules;

public class DropConnectionTests
{
    [Fact]
    public Task CONSERV008_fires_on_DropConnection_outside_a_socket_error_handler() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketData]
            void Received(TcpSocket socket, ReadOnlySpan<byte> data) => {|#0:SocketEvents.DropConnection()|};

            [OnServerError]
            void ServerFailed(Exception error) => {|CONSERV008:SocketEvents.DropConnection(error)|};

            void Helper() => {|CONSERV008:SocketEvents.DropConnection()|};
        }
        """,
        new DiagnosticResult("CONSERV008", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("'Received' is not an [OnSocketError] handler, so SocketEvents.DropConnection throws InvalidOperationException there: call it from an [OnSocketError] handler, or call socket.Abort() to drop a connection elsewhere"));

    [Fact]
    public Task CONSERV008_is_silent_in_socket_error_handlers() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketError]
            void Failed(Exception error) => SocketEvents.DropConnection(error);

            [OnSocketError(typeof(IOException))]
            async ValueTask Io(IOException error)
            {
                SocketEvents.DropConnection();
                await Task.Yield();
            }

            [OnSocketData]
            void Received(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Abort();
        }
        """);

    [Fact]
    public Task CONSERV019_fires_on_DropConnection_after_an_await() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketError]
            async ValueTask Failed(Exception error)
            {
                await Task.Yield();
                {|CONSERV019:SocketEvents.DropConnection(error)|};
            }
        }
        """);
}
