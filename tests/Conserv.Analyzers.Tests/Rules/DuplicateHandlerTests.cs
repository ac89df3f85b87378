using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Verify = Conserv.Analyzers.Tests.Infrastructure.Verifier<Conserv.Analyzers.DuplicateHandlerAnalyzer>;

namespace Conserv.Analyzers.Tests.Rules;

public class DuplicateHandlerTests
{
    [Fact]
    public Task CONSERV005_fires_on_a_second_handler_for_one_event() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketConnect]
            void Connected(TcpSocket socket) { }

            [{|#0:OnSocketConnect|}]
            void AlsoConnected(TcpSocket socket) { }

            [OnSocketData]
            void Bytes(ReadOnlySpan<byte> data) { }

            [{|CONSERV005:OnSocketData|}]
            void MoreBytes(byte[] data) { }
        }
        """,
        new DiagnosticResult("CONSERV005", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("'AlsoConnected' is a second [OnSocketConnect] handler in 'Driver', which already has a [OnSocketConnect] handler 'Connected': a driver has one handler per event (for data, one byte and one text handler), so neither is bound; remove one"));

    [Fact]
    public Task CONSERV005_on_a_data_handler_names_the_data_slot_that_is_taken() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketData]
            void Bytes(ReadOnlySpan<byte> data) { }

            [OnSocketData]
            void Text(string text) { }

            [{|#0:OnSocketData|}]
            void MoreBytes(ArraySegment<byte> data) { }

            [{|#1:OnSocketData|}]
            void MoreText(ReadOnlyMemory<char> text) { }
        }
        """,
        new DiagnosticResult("CONSERV005", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("'MoreBytes' is a second [OnSocketData] handler in 'Driver', which already has a byte data handler 'Bytes': a driver has one handler per event (for data, one byte and one text handler), so neither is bound; remove one"),
        new DiagnosticResult("CONSERV005", DiagnosticSeverity.Error).WithLocation(1)
            .WithMessage("'MoreText' is a second [OnSocketData] handler in 'Driver', which already has a text data handler 'Text': a driver has one handler per event (for data, one byte and one text handler), so neither is bound; remove one"));

    [Fact]
    public Task CONSERV005_is_silent_on_one_byte_and_one_text_handler_and_on_overrides_in_derived_drivers() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketData]
            void Bytes(ReadOnlySpan<byte> data) { }

            [OnSocketData]
            void Text(string text) { }

            [OnSocketConnect]
            void Connected(TcpSocket socket) { }
        }

        public partial class Derived : Driver
        {
            [OnSocketConnect]
            void ConnectedToo(TcpSocket socket) { }
        }
        """);

    [Fact]
    public Task CONSERV006_fires_on_a_second_error_handler_for_one_exception_type() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketError(typeof(IOException))]
            void Io(IOException error) { }

            [{|#0:OnSocketError(typeof(IOException))|}]
            void AlsoIo(Exception error) { }

            [OnSocketError]
            void Any(Exception error) { }

            [{|CONSERV006:OnSocketError(typeof(Exception))|}]
            void AlsoAny(Exception error) { }
        }
        """,
        new DiagnosticResult("CONSERV006", DiagnosticSeverity.Error).WithLocation(0)
            .WithMessage("'AlsoIo' handles 'System.IO.IOException' in [OnSocketError], as 'Io' already does in 'Driver': neither is bound; remove one, or specialize it on another exception type"));

    [Fact]
    public Task CONSERV006_is_silent_on_distinct_exception_types_and_on_socket_versus_server_errors() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Driver
        {
            [OnSocketError(typeof(IOException))]
            void Io(IOException error) { }

            [OnSocketError(typeof(SocketException))]
            void Reset(SocketException error) { }

            [OnSocketError]
            void Any(Exception error) { }

            [OnServerError]
            void ServerAny(Exception error) { }
        }
        """);
}
