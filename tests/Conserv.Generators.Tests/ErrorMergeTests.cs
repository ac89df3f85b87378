using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;

namespace Conserv.Generators.Tests;

/// <summary>
/// Error handlers merge along a chain of three drivers, most derived exception type first whichever driver declares it,
/// the most derived driver's handler on a tie: a derived handler for a more general type never shadows a base's for a
/// more specific one. In one assembly and with the bases in another (where only their generated dispatch is visible).
/// </summary>
public class ErrorMergeTests
{
    private const string Bases = """
        using System;
        using System.IO;
        using System.Threading.Tasks;
        using Conserv;

        namespace Lib;

        public static class Trace { public static string? Last; }

        public class AEx : IOException { }
        public class BEx : AEx { }

        public partial class Root
        {
            [OnSocketError(typeof(AEx))] void RootA(Exception e) => Trace.Last = "root-a";
            [OnSocketError] void RootAny(Exception e) => Trace.Last = "root-any";
        }

        public partial class Middle : Root
        {
            [OnSocketError(typeof(IOException))] void MiddleIo(IOException e) => Trace.Last = "middle-io";
            [OnSocketError(typeof(BEx))] async ValueTask MiddleB(TcpSocket socket, BEx e) { await Task.Yield(); Trace.Last = "middle-b"; }
        }
        """;

    private const string Leaf = """
        using System;
        using Conserv;

        namespace App;

        public sealed partial class Leaf : Lib.Middle
        {
            [OnSocketError] void LeafAny(Exception e) => Lib.Trace.Last = "leaf-any";
            [OnSocketError(typeof(Lib.AEx))] void LeafA(Exception e) => Lib.Trace.Last = "leaf-a";
        }
        """;

    [Fact]
    public void InOneAssemblyTheMostDerivedExceptionTypeWinsAcrossTheChain()
    {
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(Bases, Leaf));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(output));
        Assembly assembly = GeneratorHarness.Load(output);
        AssertMerged(assembly, assembly);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WithTheBasesInAnotherAssemblyTheMergeIsTheSame(bool referenceAssembly)
    {
        (_, Compilation library) = GeneratorHarness.Run(GeneratorHarness.Compile("MergeLib", GeneratorHarness.DefaultReferences, Bases));
        Assert.Empty(GeneratorHarness.Problems(library));
        using var image = new MemoryStream();
        EmitResult emitted = library.Emit(image, options: new EmitOptions(metadataOnly: referenceAssembly, includePrivateMembers: !referenceAssembly));
        Assert.True(emitted.Success);

        (GeneratorDriverRunResult result, Compilation app) = GeneratorHarness.Run(GeneratorHarness.Compile(
            "MergeApp", GeneratorHarness.DefaultReferences.Append(MetadataReference.CreateFromImage(image.ToArray())), Leaf));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(app));
        Assert.Contains("this.__Conserv2_SocketError(socket, error, ", Assert.Single(result.GeneratedTrees).ToString());
        if (referenceAssembly)
        {
            return; // a reference assembly cannot run; the full one below does
        }

        Assembly lib = GeneratorHarness.Load(library);
        using var appImage = new MemoryStream();
        Assert.True(app.Emit(appImage).Success);
        // Assembly names of their own: other tests load a "Lib" and leave their resolver in place.
        ResolveEventHandler resolve = (_, args) => args.Name.StartsWith("MergeLib,", StringComparison.Ordinal) ? lib : null;
        AppDomain.CurrentDomain.AssemblyResolve += resolve;
        try
        {
            AssertMerged(lib, Assembly.Load(appImage.ToArray()));
        }
        finally
        {
            AppDomain.CurrentDomain.AssemblyResolve -= resolve;
        }
    }

    private static void AssertMerged(Assembly lib, Assembly app)
    {
        FieldInfo last = lib.GetType("Lib.Trace", throwOnError: true)!.GetField("Last")!;
        Exception a = (Exception)Activator.CreateInstance(lib.GetType("Lib.AEx", throwOnError: true)!)!;
        Exception b = (Exception)Activator.CreateInstance(lib.GetType("Lib.BEx", throwOnError: true)!)!;
        var leaf = (ISocketEventDriver)Activator.CreateInstance(app.GetType("App.Leaf", throwOnError: true)!)!;
        var middle = (ISocketEventDriver)Activator.CreateInstance(lib.GetType("Lib.Middle", throwOnError: true)!)!;
        var root = (ISocketEventDriver)Activator.CreateInstance(lib.GetType("Lib.Root", throwOnError: true)!)!;

        Assert.Equal("middle-b", Run(last, leaf, b)); // the leaf's AEx handler is more general: the middle's BEx one wins
        Assert.Equal("leaf-a", Run(last, leaf, a)); // one type in two drivers: the most derived driver's
        Assert.Equal("middle-io", Run(last, leaf, new IOException())); // the leaf's catch-all does not shadow it
        Assert.Equal("leaf-any", Run(last, leaf, new InvalidOperationException()));

        Assert.Equal("middle-b", Run(last, middle, b));
        Assert.Equal("root-a", Run(last, middle, a)); // the root's AEx handler is more specific than the middle's IOException one
        Assert.Equal("middle-io", Run(last, middle, new IOException()));
        Assert.Equal("root-any", Run(last, middle, new InvalidOperationException()));

        Assert.Equal("root-a", Run(last, root, b));
        Assert.Equal("root-any", Run(last, root, new IOException()));
    }

    private static string? Run(FieldInfo last, ISocketEventDriver driver, Exception error)
    {
        last.SetValue(null, null);
        Assert.True(driver.OnSocketError(null!, error).AsTask().GetAwaiter().GetResult());
        return (string?)last.GetValue(null);
    }
}
