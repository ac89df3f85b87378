using System;
using System.IO;
using System.Reflection;
using System.Threading.Tasks;
using Conserv.Generators.Tests.Infrastructure;

namespace Conserv.Generators.Tests;

/// <summary>
/// What two handlers ask of the generated part together: the union of what each asks for, never something one of
/// them cancels out. The features of several bases (each level of a hierarchy asking for the same event), and the
/// helper that turns an async error handler's task into "handled" when several handlers, or both error chains, need it.
/// </summary>
public class CombinedHandlersTests
{
    [Theory]
    [InlineData("[OnSocketData] void Data(TcpSocket socket, ReadOnlyMemory<byte> data) { }", "ByteData")]
    [InlineData("[OnSocketData] void Text(TcpSocket socket, string text) { }", "TextData")]
    [InlineData("[OnSocketOutputEmpty] void Empty() { }", "OutputEmpty")]
    [InlineData("[OnSocketOutputEmpty(AtLowWaterMark = true)] void Low() { }", "OutputEmpty, OutputEmptyAtLowWaterMark")]
    public void ADriverAsksForAnEventThatTwoOfItsBasesBothHandle(string handler, string features)
    {
        string source = $$"""
            using System;
            using Conserv;

            namespace App;

            public partial class First
            {
                {{handler}}
            }

            public partial class Second : First
            {
                {{handler.Replace("void ", "void Second")}}
            }

            public sealed partial class Derived : Second
            {
                [OnSocketClose] void Closed() { }
            }
            """;

        Assembly assembly = GeneratorHarness.GenerateAndLoad(source);
        foreach (string type in new[] { "App.Second", "App.Derived" })
        {
            Assert.Equal(Enum.Parse<SocketDriverFeatures>(features), GeneratorHarness.Create<ISocketEventDriver>(assembly, type).Features);
        }
    }

    [Fact]
    public void ADriverAsksForADataEventThatAHandWrittenBaseAndAGeneratedOneBothHandle()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public class HandWritten : ISocketEventDriver
            {
                public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data) => default;
            }

            public partial class Generated : HandWritten
            {
                [OnSocketData] void Data(TcpSocket socket, ReadOnlyMemory<byte> data) { }
            }

            public sealed partial class Derived : Generated
            {
                [OnSocketClose] void Closed() { }
            }
            """;

        Assembly assembly = GeneratorHarness.GenerateAndLoad(source);
        Assert.Equal(SocketDriverFeatures.ByteData, GeneratorHarness.Create<ISocketEventDriver>(assembly, "App.Derived").Features);
    }

    [Fact]
    public async Task AsyncErrorHandlersInBothChainsAndTwiceInOneChainReportHandledWhenTheyComplete()
    {
        const string source = """
            using System;
            using System.IO;
            using System.Threading.Tasks;
            using Conserv;

            namespace App;

            public sealed partial class Driver
            {
                [OnSocketError(typeof(IOException))] ValueTask Io(Exception e) => default;
                [OnSocketError(typeof(TimeoutException))] Task Late(Exception e) => Task.CompletedTask;
                [OnServerError(typeof(IOException))] Task Accept(Exception e) => Task.CompletedTask;
            }
            """;

        object driver = GeneratorHarness.Create<object>(GeneratorHarness.GenerateAndLoad(source), "App.Driver");
        Assert.True(await ((ISocketEventDriver)driver).OnSocketError(null!, new IOException()));
        Assert.True(await ((ISocketEventDriver)driver).OnSocketError(null!, new TimeoutException()));
        Assert.False(await ((ISocketEventDriver)driver).OnSocketError(null!, new InvalidOperationException()));
        Assert.True(await ((IServerEventDriver)driver).OnServerError(null!, new IOException()));
    }
}
