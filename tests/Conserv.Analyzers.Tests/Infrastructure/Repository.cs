using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Conserv.Analyzers.Tests.Infrastructure;

/// <summary>Finds the repository and its samples from the test's output folder.</summary>
internal static class Repository
{
    public static readonly string Root = FindRoot();

    public static string SamplesDirectory => Path.Combine(Root, "samples");

    /// <summary>Every sample: a folder of samples/ with a project file.</summary>
    public static IEnumerable<string> SampleNames() =>
        Directory.EnumerateDirectories(SamplesDirectory)
            .Where(d => Directory.EnumerateFiles(d, "*.csproj").Any())
            .Select(Path.GetFileName)
            .OfType<string>()
            .OrderBy(n => n, StringComparer.Ordinal);

    /// <summary>The C# files a sample compiles: its own (not bin/obj) and the shared ones samples/Directory.Build.props links in.</summary>
    public static IEnumerable<string> SampleSources(string sample)
    {
        string directory = Path.Combine(SamplesDirectory, sample);
        IEnumerable<string> own = Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(Path.GetRelativePath(directory, f)));
        string shared = Path.Combine(SamplesDirectory, "Shared");
        IEnumerable<string> linked = Directory.Exists(shared) ? Directory.EnumerateFiles(shared, "*.cs") : [];
        return own.Concat(linked).OrderBy(f => f, StringComparer.Ordinal);
    }

    private static bool IsBuildOutput(string relative)
    {
        string first = relative.Split(Path.DirectorySeparatorChar)[0];
        return first is "bin" or "obj";
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Conserv.Gen.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("Conserv.Gen.sln not found above " + AppContext.BaseDirectory);
    }
}
