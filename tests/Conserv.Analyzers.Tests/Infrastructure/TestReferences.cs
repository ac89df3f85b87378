using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace Conserv.Analyzers.Tests.Infrastructure;

/// <summary>What test code compiles against: .NET 10's reference assemblies (from a package, offline) and the Conserv runtime.</summary>
internal static class TestReferences
{
    public static readonly MetadataReference Runtime = MetadataReference.CreateFromFile(typeof(Conserv.TcpSocket).Assembly.Location);

    public static readonly ImmutableArray<MetadataReference> All =
        [.. Basic.Reference.Assemblies.Net100.References.All, Runtime];

    /// <summary>No reference package to download: the tests add <see cref="All"/> themselves.</summary>
    public static readonly ReferenceAssemblies None = new("net10.0");
}
