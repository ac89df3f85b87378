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

    [Fact]
    public Task CONSERV019_follows_control_flow_not_text_order() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketError(typeof(IOException))]
            async ValueTask Branches(IOException error)
            {
                if (error.Message.Length > 0)
                {
                    await Task.Yield();
                }
                else
                {
                    SocketEvents.DropConnection(error);
                }
            }

            [OnSocketError(typeof(TimeoutException))]
            async ValueTask Loop(TimeoutException error)
            {
                for (int i = 0; i < 2; i++)
                {
                    {|CONSERV019:SocketEvents.DropConnection(error)|};
                    await Task.Yield();
                }
            }

            [OnSocketError(typeof(InvalidOperationException))]
            async ValueTask CatchInALoop(InvalidOperationException error)
            {
                while (error.Data.Count > 0)
                {
                    try
                    {
                        error.Data.Clear();
                    }
                    catch (Exception inner)
                    {
                        {|CONSERV019:SocketEvents.DropConnection(inner)|};
                    }

                    await Task.Yield();
                }
            }

            [OnSocketError(typeof(FormatException))]
            async ValueTask AwaitThrowsIntoCatch(FormatException error)
            {
                try
                {
                    await Task.Yield();
                }
                catch (Exception)
                {
                    {|CONSERV019:SocketEvents.DropConnection(error)|};
                }
            }

            [OnSocketError(typeof(ArgumentException))]
            async ValueTask EarlyReturn(ArgumentException error)
            {
                if (error.ParamName is null)
                {
                    SocketEvents.DropConnection(error);
                    return;
                }

                await Task.Yield();
            }

            [OnSocketError]
            async ValueTask SameStatement(Exception error)
            {
                {|CONSERV019:SocketEvents.DropConnection(await Wrap(error))|};
                await Wrap(error).AsTask().ContinueWith(_ => SocketEvents.DropConnection());
            }

            static ValueTask<Exception> Wrap(Exception error) => new(error);
        }
        """);

    [Fact]
    public Task CONSERV019_counts_await_foreach_and_await_using() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketError(typeof(IOException))]
            async ValueTask Each(IOException error, System.Collections.Generic.IAsyncEnumerable<int> items)
            {
                await foreach (int item in items) { }
                {|CONSERV019:SocketEvents.DropConnection(error)|};
            }

            [OnSocketError]
            async ValueTask Using(Exception error)
            {
                await using (var stream = new MemoryStream()) { }
                {|CONSERV019:SocketEvents.DropConnection(error)|};
            }
        }
        """);
}
