using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;

namespace Conserv.Generators.Tests;

/// <summary>
/// A base driver's error handler for an exception type the derived driver cannot see (a private nested type, an
/// internal type of another assembly) is dispatched through the base's error dispatch: the derived part never names the
/// type (issue 11, item 4).
/// </summary>
public class InaccessibleExceptionTests
{
    private const string Trace = "namespace App { public static class Trace { public static string? Last; } }";

    [Fact]
    public void APrivateNestedExceptionOfTheBaseIsTestedByTheBaseAndKeepsItsPlaceInTheChain()
    {
        const string source = """
            using System;
            using System.IO;
            using Conserv;

            namespace App;

            public partial class Base
            {
                private sealed class PrivateEx : IOException { }
                public static Exception Make() => new PrivateEx();

                [OnSocketError(typeof(PrivateEx))] void Private(Exception e) => global::App.Trace.Last = "private";
                [OnSocketError(typeof(IOException))] void Io(IOException e) => global::App.Trace.Last = "base-io";
            }

            public sealed partial class Derived : Base
            {
                [OnSocketError(typeof(IOException))] void Io(IOException e) => global::App.Trace.Last = "derived-io";
                [OnSocketError] void Any(Exception e) => global::App.Trace.Last = "any";
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source, Trace));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(output));
        Assert.DoesNotContain(result.GeneratedTrees.Single(t => t.FilePath.Contains("App.Derived")).ToString(), "PrivateEx");

        Assembly assembly = GeneratorHarness.Load(output);
        FieldInfo last = assembly.GetType("App.Trace", throwOnError: true)!.GetField("Last")!;
        var make = (Func<Exception>)assembly.GetType("App.Base", throwOnError: true)!.GetMethod("Make")!.CreateDelegate(typeof(Func<Exception>));
        var derived = (ISocketEventDriver)Activator.CreateInstance(assembly.GetType("App.Derived", throwOnError: true)!)!;
        Assert.Equal("private", Run(last, () => derived.OnSocketError(null!, make())));
        Assert.Equal("derived-io", Run(last, () => derived.OnSocketError(null!, new IOException())));
        Assert.Equal("any", Run(last, () => derived.OnSocketError(null!, new InvalidOperationException())));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AnInternalExceptionOfTheBaseAssemblyIsTestedByTheBase(bool referenceAssembly)
    {
        const string library = """
            using System;
            using System.IO;
            using Conserv;

            namespace Lib;

            internal sealed class InternalEx : IOException { }

            public static class Trace { public static string? Last; }

            public partial class BaseDriver
            {
                public static Exception Make() => new InternalEx();

                [OnSocketError(typeof(InternalEx))] private void Internal(TcpSocket socket, Exception error) => Trace.Last = "internal";
                [OnSocketError(typeof(IOException))] private void Io(IOException error) => Trace.Last = "base-io";
            }
            """;
        const string app = """
            using System;
            using System.IO;
            using Conserv;

            namespace App;

            public sealed partial class Derived : Lib.BaseDriver
            {
                [OnSocketError(typeof(IOException))] void Io(IOException error) => Lib.Trace.Last = "derived-io";
            }
            """;

        (_, Compilation libraryOutput) = GeneratorHarness.Run(GeneratorHarness.Compile("Lib", GeneratorHarness.DefaultReferences, library));
        Assert.Empty(GeneratorHarness.Problems(libraryOutput));
        using var image = new MemoryStream();
        EmitResult emitted = libraryOutput.Emit(image, options: new EmitOptions(metadataOnly: referenceAssembly, includePrivateMembers: !referenceAssembly));
        Assert.True(emitted.Success);
        MetadataReference libraryReference = MetadataReference.CreateFromImage(image.ToArray());

        (GeneratorDriverRunResult result, Compilation appOutput) = GeneratorHarness.Run(
            GeneratorHarness.Compile("App", GeneratorHarness.DefaultReferences.Append(libraryReference), app));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(appOutput));
        string generated = Assert.Single(result.GeneratedTrees).ToString();
        Assert.DoesNotContain("InternalEx", generated);
        // The base's handlers for types deeper than IOException (InternalEx) are asked first, through its dispatch.
        int deeper = generated.IndexOf("this.__Conserv1_SocketError(socket, error, 3)", StringComparison.Ordinal);
        int io = generated.IndexOf("this.Io(", StringComparison.Ordinal);
        Assert.True(deeper >= 0 && io > deeper, generated);

        if (!referenceAssembly)
        {
            Assembly lib = GeneratorHarness.Load(libraryOutput);
            using var appImage = new MemoryStream();
            Assert.True(appOutput.Emit(appImage).Success);
            AppDomain.CurrentDomain.AssemblyResolve += (_, args) => args.Name.StartsWith("Lib,", StringComparison.Ordinal) ? lib : null;
            Assembly appAssembly = Assembly.Load(appImage.ToArray());
            FieldInfo last = lib.GetType("Lib.Trace", throwOnError: true)!.GetField("Last")!;
            var make = (Func<Exception>)lib.GetType("Lib.BaseDriver", throwOnError: true)!.GetMethod("Make")!.CreateDelegate(typeof(Func<Exception>));
            var derived = (ISocketEventDriver)Activator.CreateInstance(appAssembly.GetType("App.Derived", throwOnError: true)!)!;
            Assert.Equal("internal", Run(last, () => derived.OnSocketError(null!, make())));
            Assert.Equal("derived-io", Run(last, () => derived.OnSocketError(null!, new IOException())));
        }
    }

    private static string? Run(FieldInfo last, Func<System.Threading.Tasks.ValueTask<bool>> call)
    {
        last.SetValue(null, null);
        Assert.True(call().Result);
        return (string?)last.GetValue(null);
    }
}
