using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Verify = Conserv.Analyzers.Tests.Infrastructure.Verifier<Conserv.Analyzers.BlockingCallAnalyzer>;

namespace Conserv.Analyzers.Tests.Rules;

public class BlockingCallTests
{
    [Fact]
    public Task CONSERV009_fires_on_Thread_Sleep_in_a_handler() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketData]
            void Received(TcpSocket socket, ReadOnlySpan<byte> data) => {|#0:Thread.Sleep(100)|};
        }
        """,
        new DiagnosticResult("CONSERV009", DiagnosticSeverity.Warning).WithLocation(0)
            .WithMessage("Handler 'Received' calls 'Thread.Sleep', which blocks the event loop thread: every socket on the loop stalls until it returns; make the handler async and await Task.Delay, or pause the socket with socket.Pause(timeout)"));

    [Fact]
    public Task CONSERV009_fires_on_waiting_for_tasks() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketConnect]
            void Connected(TcpSocket socket)
            {
                Task<int> pending = Task.FromResult(1);
                int a = {|CONSERV009:pending.Result|};
                {|CONSERV009:pending.Wait()|};
                int b = {|CONSERV009:pending.GetAwaiter().GetResult()|};
                {|CONSERV009:Task.Delay(1).ConfigureAwait(false).GetAwaiter().GetResult()|};
                ValueTask<int> v = new(2);
                int c = {|CONSERV009:v.Result|};
            }
        }
        """);

    [Fact]
    public Task CONSERV009_fires_on_synchronous_socket_stream_file_and_console_io() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketData]
            void Received(TcpSocket socket, byte[] data)
            {
                using var other = new Socket(SocketType.Stream, ProtocolType.Tcp);
                {|CONSERV009:other.Connect("localhost", 80)|};
                {|CONSERV009:other.Send(data)|};
                {|CONSERV009:other.Receive(data)|};
                using var network = new NetworkStream(other);
                {|CONSERV009:network.Write(data, 0, data.Length)|};
                using FileStream file = File.OpenRead("x");
                {|CONSERV009:file.Read(data, 0, data.Length)|};
                Stream stream = file;
                {|CONSERV009:stream.Read(data)|};
                string text = {|CONSERV009:File.ReadAllText("x")|};
                {|CONSERV009:File.WriteAllBytes("y", data)|};
                string? line = {|CONSERV009:Console.ReadLine()|};
                using var gate = new SemaphoreSlim(1);
                {|CONSERV009:gate.Wait()|};
            }
        }
        """);

    [Fact]
    public Task CONSERV009_is_silent_on_non_blocking_code_code_handed_off_and_non_handlers() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketData]
            async ValueTask Received(TcpSocket socket, ReadOnlyMemory<byte> data)
            {
                await Task.Delay(10);
                Task<int> done = Task.FromResult(1);
                int n = await done;
                var buffer = new MemoryStream();
                buffer.Write(data.Span);
                buffer.Flush();
                Stream output = socket.AsStream();
                output.Write(data.Span);
                output.Flush();
                await File.ReadAllTextAsync("x");
                _ = Task.Run(() => Thread.Sleep(100));
                Console.WriteLine("fine");
            }

            void NotAHandler() => Thread.Sleep(100);
        }
        """);
}
