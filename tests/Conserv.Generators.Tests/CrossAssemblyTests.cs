using System.IO;
using System.Linq;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;

namespace Conserv.Generators.Tests;

/// <summary>
/// A driver deriving from a driver compiled in another assembly finds what it needs in the base's generated part: the
/// error dispatch its chain calls and the constant with the base's features (protected, so reference assemblies keep them).
/// </summary>
public class CrossAssemblyTests
{
    private const string Library = """
        using System;
        using System.IO;
        using Conserv;

        namespace Lib;

        public partial class BaseDriver
        {
            [OnSocketData] private void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
            [OnSocketError(typeof(IOException))] private void Harmless(IOException error) { }
            [OnSocketError] private void Fatal(Exception error) { }
        }
        """;

    private const string App = """
        using System;
        using System.Net.Sockets;
        using Conserv;

        namespace App;

        public sealed partial class Derived : Lib.BaseDriver
        {
            [OnSocketError(typeof(SocketException))] void Reset(SocketException error) { }
            [OnSocketError] void Fatal(Exception error) { }
        }
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheDerivedErrorChainCallsTheBaseDispatchAndKeepsTheBaseFeatures(bool referenceAssembly)
    {
        MetadataReference libraryReference = CompileLibrary(Library, referenceAssembly);

        (GeneratorDriverRunResult result, Compilation app) = GeneratorHarness.Run(
            GeneratorHarness.Compile("App", GeneratorHarness.DefaultReferences.Append(libraryReference), App));

        Assert.Empty(GeneratorHarness.Problems(app));
        string generated = Assert.Single(result.GeneratedTrees).ToString();
        Assert.Contains("SocketDriverFeatures.ByteData", generated);
        // Most derived type first, across both drivers: the base's handlers for types deeper than SocketException, the
        // derived SocketException handler, the base's handlers for types deeper than Exception (its IOException one), then
        // the derived catch-all, which replaces the base's.
        int deeper = generated.IndexOf("this.__Conserv1_SocketError(socket, error, 5)", System.StringComparison.Ordinal);
        int reset = generated.IndexOf("is global::System.Net.Sockets.SocketException", System.StringComparison.Ordinal);
        int harmless = generated.IndexOf("this.__Conserv1_SocketError(socket, error, 1)", System.StringComparison.Ordinal);
        int fatal = generated.IndexOf("this.Fatal(e", System.StringComparison.Ordinal);
        Assert.True(deeper >= 0 && reset > deeper && harmless > reset && fatal > harmless, generated);
        Assert.DoesNotContain("this.__Conserv1_SocketError(socket, error, 0)", generated);
    }

    [Theory]
    [InlineData("")]
    [InlineData("public void __Conserv1_ServerError() { }")]
    public void ABaseWithoutServerErrorHandlersHasNoServerDispatchToCall(string handWritten)
    {
        // The base's generated part has a socket error dispatch only; a member of the server dispatch's name that the
        // generator did not write (no [GeneratedCode("Conserv.Generators", …)]) is not one either.
        string library = $$"""
            using System.IO;
            using Conserv;

            namespace Lib;

            public partial class SocketOnly
            {
                [OnSocketError(typeof(IOException))] private void Harmless() { }

                {{handWritten}}
            }
            """;
        const string app = """
            using System.IO;
            using Conserv;

            namespace App;

            public sealed partial class Derived : Lib.SocketOnly
            {
                [OnServerError(typeof(IOException))] void ServerIo() { }
            }
            """;
        MetadataReference libraryReference = CompileLibrary(library, referenceAssembly: true);

        (GeneratorDriverRunResult result, Compilation compiled) = GeneratorHarness.Run(
            GeneratorHarness.Compile("App", GeneratorHarness.DefaultReferences.Append(libraryReference), app));

        Assert.Empty(GeneratorHarness.Problems(compiled));
        string generated = Assert.Single(result.GeneratedTrees).ToString();
        Assert.Contains("this.ServerIo()", generated);
        Assert.DoesNotContain("__Conserv1_ServerError", generated);
    }

    private static MetadataReference CompileLibrary(string source, bool referenceAssembly)
    {
        (_, Compilation library) = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Empty(GeneratorHarness.Problems(library));
        using var image = new MemoryStream();
        EmitResult emitted = library.Emit(image, options: new EmitOptions(metadataOnly: referenceAssembly, includePrivateMembers: !referenceAssembly));
        Assert.True(emitted.Success);
        return MetadataReference.CreateFromImage(image.ToArray());
    }
}
