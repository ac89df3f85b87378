using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace Conserv.Samples.Tests.Support;

/// <summary>
/// A sample published with Native AOT (<c>dotnet publish -c Release -r linux-x64 -p:PublishAot=true</c>), once per
/// test output folder: it is published again only when a source file it is built from has changed.
/// </summary>
/// <remarks>
/// It publishes a copy of the sources (the runtime, generator, analyzers, the sample and the build files) under the
/// test's output folder, not the repository itself: a RID-specific restore and build there would rewrite the
/// projects' obj/ folders while other test assemblies build or pack the same projects beside this one.
/// </remarks>
public static class NativeSample
{
    /// <summary>The bound on one publish (restore, compile, native code generation, link).</summary>
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(10);

    private static readonly SemaphoreSlim s_publishing = new(1, 1);

    /// <summary>Publishes sample <paramref name="name"/> with Native AOT, or reuses the copy published from the same sources.</summary>
    /// <param name="name">The sample (its folder and assembly name).</param>
    /// <param name="log">Where the publish output goes.</param>
    /// <returns>The path of the native executable.</returns>
    public static async Task<string> PublishAsync(string name, ITestOutputHelper log)
    {
        await s_publishing.WaitAsync();
        try
        {
            string repository = RepositoryRoot();
            string root = Path.Combine(AppContext.BaseDirectory, "aot");
            string source = Path.Combine(root, "src");
            string output = Path.Combine(root, name);
            string program = Path.Combine(output, name);
            string stamp = Path.Combine(output, ".sources.sha256");

            var inputs = Inputs(repository, name);
            string hash = Hash(repository, inputs);
            if (File.Exists(program) && File.Exists(stamp) && File.ReadAllText(stamp) == hash)
            {
                log.WriteLine($"{name}: reusing the native build in {output} (sources unchanged)");
                return program;
            }

            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }

            foreach (string file in inputs)
            {
                string target = Path.Combine(source, Path.GetRelativePath(repository, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }

            var clock = Stopwatch.StartNew();
            (int code, string text) = await RunAsync(source,
                "publish", $"samples/{name}/{name}.csproj", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", output, "-nologo");
            log.WriteLine($"{name}: published with Native AOT in {clock.Elapsed.TotalSeconds:F0} s\n{text}");
            Assert.True(code == 0, $"dotnet publish failed (exit {code}):\n{text}");

            // Zero trim and AOT warnings (IL2xxx, IL3xxx), and no other warning either.
            var warnings = text.Split('\n').Where(l => l.Contains(": warning ", StringComparison.Ordinal)).Distinct().ToList();
            Assert.True(warnings.Count == 0, $"the native publish warned:\n{string.Join("\n", warnings)}");
            Assert.True(File.Exists(program), $"{program} was not produced:\n{text}");

            File.WriteAllText(stamp, hash);
            return program;
        }
        finally
        {
            s_publishing.Release();
        }
    }

    /// <summary>Every file the sample is built from: the build files, the runtime, generator, analyzers, and the sample.</summary>
    private static List<string> Inputs(string repository, string name)
    {
        var files = new List<string>
        {
            Path.Combine(repository, "global.json"),
            Path.Combine(repository, "Directory.Build.props"),
            Path.Combine(repository, "Directory.Packages.props"),
            Path.Combine(repository, "samples", "Directory.Build.props"),
        };
        foreach (string folder in new[] { "build", "Conserv.Runtime", "Conserv.Generators", "Conserv.Analyzers", Path.Combine("samples", "Shared"), Path.Combine("samples", name) })
        {
            files.AddRange(Directory.EnumerateFiles(Path.Combine(repository, folder), "*", SearchOption.AllDirectories)
                .Where(f => !IsBuildOutput(Path.GetRelativePath(repository, f))));
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    private static bool IsBuildOutput(string relativePath) =>
        relativePath.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj");

    private static string Hash(string repository, List<string> files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string file in files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(repository, file) + "\n"));
            sha.AppendData(File.ReadAllBytes(file));
        }

        return Convert.ToHexString(sha.GetHashAndReset());
    }

    private static string RepositoryRoot()
    {
        string samples = typeof(NativeSample).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SamplesDirectory").Value!;
        return Path.GetFullPath(Path.Combine(samples, ".."));
    }

    private static async Task<(int Code, string Output)> RunAsync(string directory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(PublishTimeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet publish did not finish within {PublishTimeout.TotalMinutes} minutes");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
