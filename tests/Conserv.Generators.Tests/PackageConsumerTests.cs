using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

using Conserv.Generators.Tests.Infrastructure;

namespace Conserv.Generators.Tests;

/// <summary>
/// Packs the runtime into a local feed and builds a program that references only the <c>Conserv.Gen</c>
/// package, offline: the SDK's compiler must load the generator and the analyzers from the package's
/// <c>analyzers/dotnet/cs</c> folder, which is how users get them. The same for <c>Conserv.Hosting</c>: a program
/// that references it (and the generic host) alone gets the runtime and the generator through it, and runs a server.
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

    // What docs/hosting.md shows: a server in the generic host, a driver made per connection with a logger injected.
    private const string HostedDriver = """
        using System;
        using System.Net.Sockets;
        using Conserv;
        using Conserv.Hosting;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Hosting;
        using Microsoft.Extensions.Logging;

        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddConservServer<EchoConnection>("echo", o => o.Port = 0);
        using var host = builder.Build();
        await host.StartAsync();
        int port = host.Services.GetRequiredService<ConservServers>()["echo"][0].Port!.Value;
        using (var client = new TcpClient())
        {
            var bound = TimeSpan.FromSeconds(30);
            await client.ConnectAsync("127.0.0.1", port).WaitAsync(bound);
            await client.GetStream().WriteAsync("ping"u8.ToArray()).AsTask().WaitAsync(bound);
            var echoed = new byte[4];
            await client.GetStream().ReadExactlyAsync(echoed).AsTask().WaitAsync(bound);
            Console.WriteLine("echoed " + System.Text.Encoding.ASCII.GetString(echoed));
        }

        await host.StopAsync();

        public sealed partial class EchoConnection(ILogger<EchoConnection> logger)
        {
            [OnSocketData]
            void Echo(TcpSocket socket, ReadOnlySpan<byte> data)
            {
                socket.Write(data);
                logger.LogDebug("echoed {Count} bytes", data.Length);
            }
        }
        """;

    // What docs/testing-drivers.md shows: a generated driver unit-tested in memory, with time moved by hand.
    private const string TestedDriver = """
        using System;
        using Conserv;
        using Conserv.Testing;

        await using var network = new TestNetwork();
        var peer = await network.AcceptAsync(new Greeter(), new TcpSocketOptions { IdleTimeout = TimeSpan.FromMinutes(1) });
        peer.Send("ada\n");
        Console.WriteLine(await peer.ReceiveLineAsync());
        await network.AdvanceAsync(TimeSpan.FromMinutes(1));
        await peer.Closed;
        Console.WriteLine(peer.WasReset ? "idle connection reset" : "closed gracefully");

        public sealed partial class Greeter
        {
            [OnSocketLine]
            void Greet(TcpSocket socket, string name) => socket.Write($"hello {name}\n");
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

    [Fact]
    public async Task A_project_referencing_the_hosting_package_gets_the_runtime_and_the_generator_through_it_and_serves()
    {
        // Microsoft.Extensions.Hosting comes from this machine's package folder (restored with this test project),
        // read as a second offline feed: still no network.
        string hostingVersion = Regex.Match(File.ReadAllText(Path.Combine(DotnetCli.RepositoryRoot(), "Directory.Packages.props")),
            "Include=\"Microsoft.Extensions.Hosting\" Version=\"([^\"]+)\"").Groups[1].Value;

        string output = await PackBuildAndRunAsync("Conserv.Hosting", HostedDriver, ("Microsoft.Extensions.Hosting", hostingVersion));

        Assert.Contains("echoed ping", output);
        Assert.Contains("Conserv server echo listening on 127.0.0.1:", output); // its log, through the host's console logger
    }

    [Fact]
    public async Task A_project_referencing_the_testing_package_unit_tests_a_generated_driver_in_memory()
    {
        string output = await PackBuildAndRunAsync("Conserv.Testing", TestedDriver);

        Assert.Contains("hello ada", output); // the generator ran through the test package's dependency on Conserv.Gen
        Assert.Contains("idle connection reset", output); // a minute passed on the virtual clock
    }

    /// <summary>
    /// Packs the runtime and <paramref name="package"/> (a project of the same name) into a fresh local feed, checks the
    /// package's symbols are there, then builds and runs <paramref name="program"/> in a project that references only that
    /// package (and <paramref name="others"/> from the machine's package folder), offline. Returns what the run printed.
    /// </summary>
    private static async Task<string> PackBuildAndRunAsync(string package, string program, params (string Id, string Version)[] others)
    {
        string repo = DotnetCli.RepositoryRoot();
        string work = Path.Combine(Path.GetTempPath(), $"conserv-{package.ToLowerInvariant()}-package-" + Guid.NewGuid().ToString("N"));
        string feed = Path.Combine(work, "feed");
        Directory.CreateDirectory(feed);
        try
        {
            foreach (string project in new[] { "Conserv.Runtime/Conserv.Runtime.csproj", $"{package}/{package}.csproj" })
            {
                (int packed, string packOutput) = await DotnetCli.RunAsync(repo, $"pack {project} -c {DotnetCli.Configuration} --no-build -o \"{feed}\" -nologo");
                Assert.True(packed == 0, packOutput);
            }

            Assert.True(File.Exists(Path.Combine(feed, $"{package}.0.1.0.snupkg")), "the symbols package is missing");
            string consumer = WriteConsumer(work, "Consumer", feed, program, [(package, "0.1.0"), .. others], MachinePackageFolder());

            (int code, string output) = await DotnetCli.RunAsync(consumer, $"build -c {DotnetCli.Configuration} --packages \"{Path.Combine(work, "packages")}\" -nologo");
            Assert.True(code == 0, output);
            (code, output) = await DotnetCli.RunAsync(consumer, $"run -c {DotnetCli.Configuration} --no-build");
            Assert.True(code == 0, output);
            return output;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    // Conserv.Gen depends on Microsoft.Extensions.Logging.Abstractions: it comes from the machine's package folder.
    private static string WriteConsumer(string work, string name, string feed, string program) =>
        WriteConsumer(work, name, feed, program, [("Conserv.Gen", "0.1.0")], MachinePackageFolder());

    /// <summary>This machine's package folder (restored with this test project), read as a second offline feed: still no network.</summary>
    private static string MachinePackageFolder() =>
        typeof(PackageConsumerTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NuGetPackageRoot").Value!;

    private static string WriteConsumer(string work, string name, string feed, string program,
        (string Id, string Version)[] packages, string? secondFeed)
    {
        string directory = Path.Combine(work, name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), $$"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
            {{string.Concat(packages.Select(p => $"    <PackageReference Include=\"{p.Id}\" Version=\"{p.Version}\" />\n"))}}  </ItemGroup>
            </Project>
            """);

        // Only local feeds: the test needs no network. The Conserv packages can come from the fresh feed only (source
        // mapping), so another copy of them in the machine's package folder is never picked up.
        string mapping = secondFeed is null ? "" : """
              <packageSourceMapping>
                <packageSource key="local"><package pattern="Conserv.*" /></packageSource>
                <packageSource key="machine"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            """;
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
            {(secondFeed is null ? "" : $"    <add key=\"machine\" value=\"{secondFeed}\" />\n")}  </packageSources>
            {mapping}</configuration>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), program);

        // Keep the repository's Directory.Build.props and central package versions out of the consumer.
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(directory, "Directory.Packages.props"), "<Project />");
        return directory;
    }
}
