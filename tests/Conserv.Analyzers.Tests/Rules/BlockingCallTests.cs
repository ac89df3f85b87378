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

    [Fact]
    public Task CONSERV009_is_silent_on_non_blocking_fast_paths() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            private readonly SemaphoreSlim _gate = new(1);
            private Task<int> _pending = Task.FromResult(0);

            [OnSocketData]
            void Received(TcpSocket socket, ReadOnlyMemory<byte> data)
            {
                Task<int> task = Task.FromResult(1);
                if (task.IsCompleted)
                {
                    Console.WriteLine(task.Result);
                }

                if (task.IsCompletedSuccessfully && task.Result > 0) { }
                int a = task.IsCompletedSuccessfully ? task.Result : 0;
                int b = !task.IsCompleted ? 0 : task.GetAwaiter().GetResult();
                if (!(task.IsCompleted == true)) { } else { task.Wait(); }
                ValueTask<int> value = new(3);
                int c = value.IsCompleted ? value.Result : 0;
                int d = _pending.IsCompleted ? _pending.Result : 0;
                if (_gate.Wait(0)) { _gate.Release(); }
                if (_gate.Wait(TimeSpan.Zero, CancellationToken.None)) { _gate.Release(); }
                if (!task.IsCompleted)
                {
                    return;
                }

                Console.WriteLine(task.Result);
            }
        }
        """);

    [Fact]
    public Task CONSERV009_still_fires_when_the_check_does_not_cover_the_use() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            private readonly SemaphoreSlim _gate = new(1);

            [OnSocketData]
            void Received(TcpSocket socket, ReadOnlyMemory<byte> data)
            {
                Task<int> task = Task.FromResult(1);
                Task<int> other = Task.FromResult(2);
                if (other.IsCompleted) { Console.WriteLine({|CONSERV009:task.Result|}); }
                if (!task.IsCompleted) { Console.WriteLine({|CONSERV009:task.Result|}); }
                if (task.IsCompleted || other.IsCompleted) { Console.WriteLine({|CONSERV009:task.Result|}); }
                if (task.IsFaulted) { Console.WriteLine({|CONSERV009:task.Result|}); }
                {|CONSERV009:_gate.Wait(1)|};
                {|CONSERV009:_gate.Wait(TimeSpan.FromSeconds(1))|};
            }
        }
        """);

    [Fact]
    public Task CONSERV009_fires_on_text_readers_and_spinning() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketData]
            void Received(TcpSocket socket, string text)
            {
                using var reader = new StreamReader("x");
                string? line = {|#0:reader.ReadLine()|};
                string all = {|CONSERV009:reader.ReadToEnd()|};
                TextReader input = reader;
                int c = {|CONSERV009:input.Read()|};
                string? typed = {|CONSERV009:Console.In.ReadLine()|};
                string? console = {|CONSERV009:Console.ReadLine()|};
                {|CONSERV009:SpinWait.SpinUntil(() => text.Length > 0)|};
                bool now = SpinWait.SpinUntil(() => text.Length > 0, 0);
                using var memory = new StringReader(text);
                string? fromMemory = memory.ReadLine();
            }
        }
        """,
        new DiagnosticResult("CONSERV009", DiagnosticSeverity.Warning).WithLocation(0)
            .WithMessage("Handler 'Received' calls 'StreamReader.ReadLine', which blocks the event loop thread: every socket on the loop stalls until it returns; make the handler async and await the reader's Async counterpart (ReadLineAsync, ReadToEndAsync), or read the console on another thread"));
}
