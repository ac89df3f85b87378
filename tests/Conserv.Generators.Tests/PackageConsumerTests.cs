using System;
using System.IO;
using System.Threading.Tasks;

using Conserv.Generators.Tests.Infrastructure;

namespace Conserv.Generators.Tests;

/// <summary>
/// Packs the runtime into a local feed and builds a program that references only the <c>Conserv.Gen</c>
/// package, offline: the SDK's compiler must load the generator and the analyzers from the package's
/// <c>analyzers/dotnet/cs</c> folder, which is how users get them.
/// </summary>
public class PackageConsumerTests
{
    private const string GoodDriver = """
        using System;
        using Conserv;

        var server = TcpServer.Listen(new EchoDriver(), port: 0);
        Console.WriteLine(server.Port > 0 ? "listening" : "no port");
        await server.DisposeAsync();

        public partial class EchoDriver
        {
            [OnSocketData]
            void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
        }
        """;

    // Not partial: the generator cannot implement it, and the packaged analyzer must say so.
    private const string BrokenDriver = """
        using System;
        using Conserv;

        public class EchoDriver
        {
            [OnSocketData]
            void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
        }
        """;

    [Fact]
    public async Task A_project_referencing_only_the_package_gets_the_generator_and_the_analyzers()
    {
        string repo = DotnetCli.RepositoryRoot();
        string work = Path.Combine(Path.GetTempPath(), "conserv-package-" + Guid.NewGuid().ToString("N"));
        string feed = Path.Combine(work, "feed");
        Directory.CreateDirectory(feed);
        try
        {
            // The runtime, generator and analyzers were built with this test project.
            (int code, string output) = await DotnetCli.RunAsync(repo, $"pack Conserv.Runtime/Conserv.Runtime.csproj -c {DotnetCli.Configuration} --no-build -o \"{feed}\" -nologo");
            Assert.True(code == 0, output);

            string good = WriteConsumer(work, "Good", feed, GoodDriver);
            (code, output) = await DotnetCli.RunAsync(good, $"build -c {DotnetCli.Configuration} --packages \"{Path.Combine(work, "packages")}\" -nologo");
            Assert.True(code == 0, output);
            Assert.DoesNotContain("CS9057", output);
            Assert.DoesNotContain("CS8032", output);
            (code, output) = await DotnetCli.RunAsync(good, $"run -c {DotnetCli.Configuration} --no-build");
            Assert.True(code == 0, output);
            Assert.Contains("listening", output);

            string broken = WriteConsumer(work, "Broken", feed, BrokenDriver);
            (code, output) = await DotnetCli.RunAsync(broken, $"build -c {DotnetCli.Configuration} --packages \"{Path.Combine(work, "packages")}\" -nologo");
            Assert.NotEqual(0, code);
            Assert.Contains("error CONSERV001", output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string WriteConsumer(string work, string name, string feed, string program)
    {
        string directory = Path.Combine(work, name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Conserv.Gen" Version="0.1.0" />
              </ItemGroup>
            </Project>
            """);

        // Only the local feed: the test needs no network, and cannot pick up another copy of the package.
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), program);

        // Keep the repository's Directory.Build.props and central package versions out of the consumer.
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(directory, "Directory.Packages.props"), "<Project />");
        return directory;
    }
}
