using System.Threading.Tasks;
using Verify = Conserv.Analyzers.Tests.Infrastructure.Verifier<Conserv.Analyzers.AsyncVoidHandlerAnalyzer>;

namespace Conserv.Analyzers.Tests.Rules;

public class AsyncVoidTests
{
    [Fact]
    public Task CONSERV007_fires_on_an_async_void_handler() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketConnect]
            async void {|CONSERV007:Connected|}(TcpSocket socket) => await Task.Yield();
        }
        """);

    [Fact]
    public Task CONSERV007_is_silent_on_async_ValueTask_handlers_and_async_void_non_handlers() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketConnect]
            async ValueTask Connected(TcpSocket socket) => await Task.Yield();

            [OnSocketEndOfFile]
            async Task Eof(TcpSocket socket) => await Task.Yield();

            async void Helper() => await Task.Yield();
        }
        """);
}
