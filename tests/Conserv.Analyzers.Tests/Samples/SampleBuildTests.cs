using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using Conserv.Analyzers.Tests.Infrastructure;

namespace Conserv.Analyzers.Tests.Samples;

/// <summary>A scratch artifacts folder shared by one class's builds, so the runtime and analyzers build once.</summary>
public sealed class ScratchArtifacts : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("conserv-analyzers-build-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // a build server may still hold a file: the temp folder is cleaned by the system
        }
    }
}

/// <summary>
/// Every sample builds with the real build (<c>dotnet build</c>, generator and analyzers on, warnings as errors),
/// into a scratch artifacts folder so it never touches outputs other tests use.
/// </summary>
public class SampleBuildTests(ScratchArtifacts artifacts) : IClassFixture<ScratchArtifacts>
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(8);

    public static TheoryData<string> Samples() => new(Repository.SampleNames());

    [Theory]
    [MemberData(nameof(Samples))]
    public void Sample_builds_with_the_analyzers_on_and_warnings_as_errors(string sample)
    {
        string project = Path.Combine(Repository.SamplesDirectory, sample, sample + ".csproj");
        (int exitCode, string output) = Build(project);
        Assert.True(exitCode == 0, $"dotnet build {sample} failed ({exitCode}):\n{output}");
    }

    [Fact]
    public void The_build_runs_the_analyzers_through_the_same_reference_as_the_generator()
    {
        // A consumer wired like the samples (build/Conserv.Reference.props) with a driver that is not partial.
        string directory = Directory.CreateTempSubdirectory("conserv-broken-consumer-").FullName;
        File.WriteAllText(Path.Combine(directory, "BrokenConsumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <OutputType>Library</OutputType>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <Import Project="{Path.Combine(Repository.Root, "build", "Conserv.Reference.props")}" />
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "BrokenDriver.cs"), """
            using Conserv;

            public class BrokenDriver
            {
                [OnSocketConnect]
                void Connected(TcpSocket socket) { }
            }

            public static class Extensions
            {
                // C# 14, which the Roslyn the in-memory tests use cannot parse (issue 11, item 9: the message read "'' is a extension").
                extension(TcpSocket socket)
                {
                    [OnSocketConnect]
                    public void Connected() { }
                }
            }
            """);

        try
        {
            (int exitCode, string output) = Build(Path.Combine(directory, "BrokenConsumer.csproj"));
            Assert.True(exitCode != 0, "the broken driver built:\n" + output);
            Assert.Contains("error CONSERV001", output);
            Assert.Contains("error CONSERV010: 'extension(TcpSocket socket)' is an extension block, but drivers are classes", output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private (int ExitCode, string Output) Build(string project)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository.Root,
        };
        foreach (string argument in new[] { "build", project, "-warnaserror", "-nologo", "-v:q", "-clp:NoSummary", "--artifacts-path", artifacts.Path, "--disable-build-servers", "-nodeReuse:false" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using Process process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(BuildTimeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {BuildTimeout}\n{output}");
        }

        process.WaitForExit();
        return (process.ExitCode, output.ToString());
    }
}
