using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace Conserv.Analyzers.Tests.Infrastructure;

/// <summary>What test code compiles against: .NET 10's reference assemblies (from a package, offline) and the Conserv runtime.</summary>
internal static class TestReferences
{
    public static readonly MetadataReference Runtime = MetadataReference.CreateFromFile(typeof(Conserv.TcpSocket).Assembly.Location);

    public static readonly ImmutableArray<MetadataReference> All =
        [.. Basic.Reference.Assemblies.Net100.References.All, Runtime];

    /// <summary>
    /// <see cref="All"/> plus Conserv.Hosting, the generic host and OpenTelemetry (copied next to this test assembly), for
    /// the samples that run in the host (samples/HostedEcho, whose --otel adds OpenTelemetry's metrics).
    /// </summary>
    public static readonly ImmutableArray<MetadataReference> ForSamples =
    [
        .. All,
        .. System.IO.Directory.GetFiles(System.AppContext.BaseDirectory, "Microsoft.Extensions.*.dll")
            .Concat(System.IO.Directory.GetFiles(System.AppContext.BaseDirectory, "OpenTelemetry*.dll"))
            .Append(System.IO.Path.Combine(System.AppContext.BaseDirectory, "Conserv.Hosting.dll"))
            .Select(path => MetadataReference.CreateFromFile(path)),
    ];

    /// <summary>No reference package to download: the tests add <see cref="All"/> themselves.</summary>
    public static readonly ReferenceAssemblies None = new("net10.0");
}
