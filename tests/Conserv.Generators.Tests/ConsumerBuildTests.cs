using System;
using System.IO;
using System.Threading.Tasks;

using Conserv.Generators.Tests.Infrastructure;

namespace Conserv.Generators.Tests;

/// <summary>
/// Builds a small program with <c>dotnet build</c>, referencing the runtime and the generator the way in-repo
/// consumers do, so the SDK's own compiler (not the Roslyn this test links) must load the generator; then runs it.
/// A generator built against a too-new Roslyn fails here with CS9057.
/// </summary>
public class ConsumerBuildTests
{
    private const string Program = """
        using System;
        using System.Net;
        using System.Net.Sockets;
        using System.Threading.Tasks;
        using Conserv;

        var server = TcpServer.Listen(new EchoDriver(), externalFormatIn: null);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port!.Value)).WaitAsync(TimeSpan.FromSeconds(15));
        await client.SendAsync("ping"u8.ToArray(), SocketFlags.None);
        var buffer = new byte[4];
        int read = 0;
        while (read < 4)
        {
            int n = await client.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            if (n == 0) break;
            read += n;
        }

        await server.DisposeAsync();
        Console.WriteLine("echo:" + System.Text.Encoding.ASCII.GetString(buffer, 0, read));

        public partial class EchoDriver
        {
            [OnSocketData]
            void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);

            [OnSocketError]
            void Fatal(Exception error) => SocketEvents.DropConnection(error);
        }
        """;

    [Fact]
    public async Task TheSdkCompilerLoadsTheGeneratorAndTheProgramRuns()
    {
        string repo = DotnetCli.RepositoryRoot();
        string directory = Path.Combine(Path.GetTempPath(), "conserv-consumer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            File.WriteAllText(Path.Combine(directory, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>disable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>
                  </PropertyGroup>
                  <ItemGroup>
                    <ProjectReference Include="{repo}/Conserv.Runtime/Conserv.Runtime.csproj" />
                    <ProjectReference Include="{repo}/Conserv.Generators/Conserv.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(directory, "Program.cs"), Program);

            // The referenced projects were built with this test project; don't rebuild (or re-restore) them.
            (int code, string output) = await DotnetCli.RunAsync(directory, $"build -c {DotnetCli.Configuration} -p:BuildProjectReferences=false -p:RestoreRecursive=false -nologo");
            Assert.True(code == 0, output);
            Assert.DoesNotContain("CS9057", output);
            Assert.DoesNotContain("CS8032", output); // an analyzer that could not be loaded
            string generated = Path.Combine(directory, "obj", DotnetCli.Configuration, "net10.0", "generated", "Conserv.Generators", "Conserv.Generators.DriverGenerator", "EchoDriver.Conserv.g.cs");
            Assert.True(File.Exists(generated), output);

            (code, output) = await DotnetCli.RunAsync(directory, $"run -c {DotnetCli.Configuration} --no-build");
            Assert.True(code == 0, output);
            Assert.Contains("echo:ping", output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
