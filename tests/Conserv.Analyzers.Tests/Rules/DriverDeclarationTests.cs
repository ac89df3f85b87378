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
