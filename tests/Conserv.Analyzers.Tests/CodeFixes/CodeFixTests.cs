using System.Collections.Generic;
using System.Threading.Tasks;
using Conserv.Analyzers.CodeFixes;
using Conserv.Analyzers.Tests.Infrastructure;

namespace Conserv.Analyzers.Tests.CodeFixes;

/// <summary>Each fix: the fixed code compiles (compiler errors fail the test) and the diagnostic is gone.</summary>
public class CodeFixTests
{
    private const string Usings = Verifier<DriverDeclarationAnalyzer>.Usings;

    [Fact]
    public Task CONSERV001_fix_makes_the_driver_and_its_containing_types_partial() =>
        Verifier<DriverDeclarationAnalyzer>.FixAsync<MakePartialCodeFixProvider>(Usings + """
            public static class Outer
            {
                internal sealed partial class {|CONSERV001:EchoDriver|}
                {
                    [OnSocketData]
                    void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
                }
            }

            public sealed class {|CONSERV001:Other|}
            {
                [OnSocketConnect]
                void Connected(TcpSocket socket) { }
            }
            """, Usings + """
            public static partial class Outer
            {
                internal sealed partial class EchoDriver
                {
                    [OnSocketData]
                    void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
                }
            }

            public sealed partial class Other
            {
                [OnSocketConnect]
                void Connected(TcpSocket socket) { }
            }
            """, iterations: 2);

    [Fact]
    public Task CONSERV001_fix_adds_partial_to_a_class_without_modifiers() =>
        Verifier<DriverDeclarationAnalyzer>.FixAsync<MakePartialCodeFixProvider>(Usings + """
            class {|CONSERV001:Driver|}
            {
                [OnSocketConnect]
                void Connected(TcpSocket socket) { }
            }
            """, Usings + """
            partial class Driver
            {
                [OnSocketConnect]
                void Connected(TcpSocket socket) { }
            }
            """);

    [Fact]
    public Task CONSERV007_fix_returns_ValueTask_and_adds_the_using() =>
        Verifier<AsyncVoidHandlerAnalyzer>.FixAsync<AsyncVoidCodeFixProvider>("""
            using Conserv;

            public partial class Driver
            {
                [OnSocketConnect]
                private async void {|CONSERV007:Connected|}(TcpSocket socket)
                {
                    await System.Threading.Tasks.Task.Yield();
                }
            }
            """, """
            using System.Threading.Tasks;
            using Conserv;

            public partial class Driver
            {
                [OnSocketConnect]
                private async ValueTask Connected(TcpSocket socket)
                {
                    await System.Threading.Tasks.Task.Yield();
                }
            }
            """);

    [Fact]
    public Task CONSERV004_fix_declares_the_parameter_as_the_attribute_type() =>
        Verifier<ExceptionTypeAnalyzer>.FixAsync<ExceptionParameterCodeFixProvider>(Usings + """
            public partial class Driver
            {
                [OnSocketError(typeof(IOException))]
                void Failed(TcpSocket socket, {|CONSERV004:SocketException|} error) { }
            }
            """, Usings + """
            public partial class Driver
            {
                [OnSocketError(typeof(IOException))]
                void Failed(TcpSocket socket, IOException error) { }
            }
            """, "ExceptionParameterCodeFixProvider.Parameter");

    [Fact]
    public Task CONSERV004_fix_can_instead_make_the_attribute_handle_the_parameter_type() =>
        Verifier<ExceptionTypeAnalyzer>.FixAsync<ExceptionParameterCodeFixProvider>(Usings + """
            public partial class Driver
            {
                [OnSocketError(typeof(IOException))]
                void Failed(TcpSocket socket, {|CONSERV004:SocketException|} error) { }

                [OnServerError]
                void ServerFailed({|CONSERV004:InvalidOperationException|} error) { }
            }
            """, Usings + """
            public partial class Driver
            {
                [OnSocketError(typeof(SocketException))]
                void Failed(TcpSocket socket, SocketException error) { }

                [OnServerError(typeof(InvalidOperationException))]
                void ServerFailed(InvalidOperationException error) { }
            }
            """, "ExceptionParameterCodeFixProvider.Attribute", iterations: 2);

    [Fact]
    public Task CONSERV005_fix_removes_the_duplicated_handler_attribute() =>
        Verifier<DuplicateHandlerAnalyzer>.FixAsync<RemoveDuplicateHandlerCodeFixProvider>(Usings + """
            public partial class Driver
            {
                [OnSocketConnect]
                void Connected(TcpSocket socket) { }

                /// <summary>Also connected.</summary>
                [{|CONSERV005:OnSocketConnect|}]
                void AlsoConnected(TcpSocket socket) { }

                [System.Obsolete, {|CONSERV005:OnSocketConnect|}]
                void Third(TcpSocket socket) { }
            }
            """, Usings + """
            public partial class Driver
            {
                [OnSocketConnect]
                void Connected(TcpSocket socket) { }

                /// <summary>Also connected.</summary>
                void AlsoConnected(TcpSocket socket) { }

                [System.Obsolete]
                void Third(TcpSocket socket) { }
            }
            """, iterations: 2);

    [Fact]
    public Task CONSERV006_fix_removes_the_duplicated_error_handler_attribute() =>
        Verifier<DuplicateHandlerAnalyzer>.FixAsync<RemoveDuplicateHandlerCodeFixProvider>(Usings + """
            public partial class Driver
            {
                [OnSocketError]
                void Failed(Exception error) { }

                [{|CONSERV006:OnSocketError(typeof(Exception))|}]
                void AlsoFailed(Exception error) { }
            }
            """, Usings + """
            public partial class Driver
            {
                [OnSocketError]
                void Failed(Exception error) { }

                void AlsoFailed(Exception error) { }
            }
            """);

    [Fact]
    public Task CONSERV016_fix_declares_the_parameter_nullable() =>
        Verifier<HandlerSignatureAnalyzer>.FixAsync<MakeParameterNullableCodeFixProvider>(Usings + """
            public partial class Driver
            {
                [OnSocketClose]
                void Closed(TcpSocket socket, {|CONSERV016:Exception|} cause, {|CONSERV016:TcpServer|} server) { }
            }
            """, Usings + """
            public partial class Driver
            {
                [OnSocketClose]
                void Closed(TcpSocket socket, Exception? cause, TcpServer? server) { }
            }
            """, iterations: 2);

    [Fact]
    public async Task CONSERV004_parameter_fix_is_not_offered_when_the_body_uses_what_the_new_type_lacks()
    {
        // Issue 11, item 10: declaring 'error' as IOException broke 'error.SocketErrorCode' (CS1061) and 'Log(error)' (CS1503).
        IReadOnlyList<string> offered = await FixedCode.OfferedAsync(Usings + """
            public partial class Driver
            {
                [OnSocketError(typeof(IOException))]
                void Failed(TcpSocket socket, SocketException error) => Console.WriteLine(error.SocketErrorCode);

                [OnServerError(typeof(IOException))]
                void ServerFailed(InvalidOperationException error) => Log(error);

                static void Log(InvalidOperationException error) { }
            }
            """, new ExceptionTypeAnalyzer(), new ExceptionParameterCodeFixProvider());

        Assert.Equal(["Handle 'SocketException' in the attribute", "Handle 'InvalidOperationException' in the attribute"], offered);
    }

    [Fact]
    public async Task CONSERV004_parameter_fix_is_offered_when_the_body_compiles_with_the_new_type()
    {
        IReadOnlyList<string> offered = await FixedCode.OfferedAsync(Usings + """
            public partial class Driver
            {
                [OnSocketError(typeof(IOException))]
                void Failed(TcpSocket socket, SocketException error) => Console.WriteLine(error.Message);
            }
            """, new ExceptionTypeAnalyzer(), new ExceptionParameterCodeFixProvider());

        Assert.Equal(["Declare 'error' as 'IOException'", "Handle 'SocketException' in the attribute"], offered);
    }

    [Fact]
    public async Task CONSERV007_fix_is_not_offered_for_a_handler_used_as_a_delegate_or_a_close_handler_under_an_alias()
    {
        // Issue 11, item 10: returning ValueTask broke 'Action<TcpSocket> a = Connected' (CS0407), and an aliased close attribute got ValueTask (CONSERV017).
        IReadOnlyList<string> offered = await FixedCode.OfferedAsync("""
            using System;
            using Conserv;
            using Closing = Conserv.OnSocketCloseAttribute;

            public partial class Driver
            {
                [OnSocketConnect]
                private async void Connected(TcpSocket socket) => await System.Threading.Tasks.Task.Yield();

                [Closing]
                private async void Closed(TcpSocket socket, Exception? cause) => await System.Threading.Tasks.Task.Yield();

                public Action<TcpSocket> AsAction() => Connected;
            }
            """, new AsyncVoidHandlerAnalyzer(), new AsyncVoidCodeFixProvider());

        Assert.Empty(offered);
    }

    [Fact]
    public async Task The_fixed_code_check_reports_new_compiler_and_Conserv_errors()
    {
        // The check every fix test runs (Verifier.FixAsync): it must see an error in the fixed code, whether the compiler's or a Conserv analyzer's.
        const string source = Usings + """
            public partial class Driver
            {
                [OnSocketError(typeof(IOException))]
                void Failed(TcpSocket socket, {|CONSERV004:SocketException|} error) => Console.WriteLine(error.SocketErrorCode);
            }
            """;
        const string brokenByTheCompiler = Usings + """
            public partial class Driver
            {
                [OnSocketError(typeof(IOException))]
                void Failed(TcpSocket socket, IOException error) => Console.WriteLine(error.SocketErrorCode);
            }
            """;
        const string brokenForConserv = Usings + """
            public partial class Driver
            {
                [OnSocketError(typeof(SocketException))]
                void Failed(TcpSocket socket, SocketException error) => Console.WriteLine(error.SocketErrorCode);

                [OnSocketClose]
                ValueTask Closed(TcpSocket socket) => default;
            }
            """;

        System.Exception compiler = await Assert.ThrowsAnyAsync<System.Exception>(() => FixedCode.AssertAddsNoErrorAsync(source, brokenByTheCompiler));
        Assert.Contains("CS1061", compiler.Message);
        System.Exception conserv = await Assert.ThrowsAnyAsync<System.Exception>(() => FixedCode.AssertAddsNoErrorAsync(source, brokenForConserv));
        Assert.Contains("CONSERV017", conserv.Message);
    }
}
