using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Conserv.Generators.Tests;

/// <summary>The generated source for each driver shape, compared with the committed snapshots; each output also compiles cleanly.</summary>
public class SnapshotTests
{
    private const string Usings = """
        using System;
        using System.IO;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;
        using Conserv;

        """;

    [Fact]
    public void SocketEvents() => VerifyGenerated("""
        namespace App;

        public partial class AllSocketEvents
        {
            [OnSocketConnect] ValueTask Connected(TcpSocket socket) => default;
            [OnSocketData] void Data(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
            [OnSocketEndOfFile] Task Ended(TcpSocket socket) => Task.CompletedTask;
            [OnSocketOutputEmpty] void Drained() { }
            [OnSocketClose] void Closed(Exception? cause, TcpSocket socket) { }
            [OnSocketError] void Failed(Exception error) => SocketEvents.DropConnection(error);
        }
        """);

    [Fact]
    public void ErrorSpecializationChain() => VerifyGenerated("""
        namespace App;

        public partial class Specialized
        {
            [OnSocketError] void Fatal(Exception error) { }
            [OnSocketError(typeof(TimeoutException))] void Late() { }
            [OnSocketError(typeof(IOException))] void Harmless(IOException error) { }
            [OnSocketError(typeof(SocketException))] void Reset(TcpSocket socket, Exception error) { }
            [OnSocketError(typeof(EndOfStreamException))] ValueTask Truncated() => default;
        }
        """);

    [Fact]
    public void ServerEvents() => VerifyGenerated("""
        namespace App;

        public sealed partial class Server
        {
            [OnServerListen] void Listening(TcpServer server) { }
            [OnServerConnection] void Accepted(TcpServer server, TcpSocket client) { }
            [OnServerError(typeof(SocketException))] void AcceptFailed(SocketException error, TcpServer server) { }
            [OnServerError] Task Failed(Exception error, CancellationToken closed) => Task.CompletedTask;
            [OnServerClose] void Closed(TcpServer server) { }
        }
        """);

    [Fact]
    public void Inheritance() => VerifyGenerated("""
        namespace App;

        public partial class BaseDriver
        {
            [OnSocketData] void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
            [OnSocketError(typeof(IOException))] void Harmless(IOException error) { }
            [OnSocketError] void Fatal(Exception error) { }
            [OnServerListen] void Listening() { }
        }

        public sealed partial class DerivedDriver : BaseDriver
        {
            [OnSocketData] void Text(string text) { }
            [OnSocketError(typeof(SocketException))] void Reset(SocketException error) { }
            [OnSocketError] void Fatal(Exception error) { }
        }

        public partial class ServerOnlyDriver : BaseDriver
        {
            [OnServerClose] static void Closed() { }
        }
        """);

    [Fact]
    public void NestedGenericSealedGlobal() => VerifyGenerated("""
        public sealed partial class GlobalDriver
        {
            [OnSocketConnect] void Connected() { }
        }

        namespace App.Deep
        {
            public partial class Outer<TKey>
            {
                internal partial record struct Holder
                {
                    private sealed partial class Inner<TValue> where TValue : class
                    {
                        [OnSocketData] void Data(ReadOnlyMemory<byte> data, TcpServer? server) { }
                    }
                }
            }
        }
        """);

    [Fact]
    public void PrivateAndStaticHandlers() => VerifyGenerated("""
        namespace App;

        internal sealed partial class Handlers
        {
            [OnSocketConnect] private static void Connected(TcpSocket socket) { }
            [OnSocketError(typeof(IOException))] private static ValueTask Harmless(IOException error) => default;
            [OnSocketClose] public void Closed() { }
        }
        """);

    [Fact]
    public void AsyncHandlers() => VerifyGenerated("""
        namespace App;

        public sealed partial class AsyncDriver
        {
            [OnSocketData]
            async ValueTask Data(TcpSocket socket, ReadOnlyMemory<byte> data, CancellationToken closed)
            {
                await Task.Yield();
            }

            [OnSocketError(typeof(IOException))]
            async Task Harmless(IOException error, CancellationToken closed) => await Task.Yield();

            [OnServerConnection]
            async Task Accepted(TcpSocket client, CancellationToken closed) => await Task.Yield();
        }
        """);

    [Fact]
    public void TextAndBytes() => VerifyGenerated("""
        namespace App;

        public sealed partial class Copies
        {
            [OnSocketData] void Bytes(byte[] data) { }
            [OnSocketData] void Text(TcpSocket socket, string text) { }
        }

        public sealed partial class Views
        {
            [OnSocketData] void Bytes(ArraySegment<byte> data) { }
            [OnSocketData] void Text(ReadOnlySpan<char> text) { }
        }

        public sealed partial class Memories
        {
            [OnSocketData] ValueTask Text(ReadOnlyMemory<char> text) => default;
        }
        """);

    [Fact]
    public void OutputEmptyAtLowWaterMark() => VerifyGenerated("""
        namespace App;

        // A streaming driver that wants to hear as soon as the socket can take more; a derived driver inherits it.
        public partial class Streamer
        {
            [OnSocketOutputEmpty(AtLowWaterMark = true)] void More(TcpSocket socket) { }
        }

        public sealed partial class LoggingStreamer : Streamer
        {
            [OnSocketData] void Received(ReadOnlySpan<byte> data) { }
        }
        """);

    [Fact]
    public void LineFraming() => VerifyGenerated("""
        namespace App;

        public partial class LineDriver
        {
            [OnSocketLine(MaxLength = 1024)] void Line(TcpSocket socket, string line) => socket.Write(line);
            [OnSocketLine(MaxLength = 1024)] void RawLine(TcpSocket socket, ReadOnlySpan<byte> line) => socket.Write(line);
        }

        public sealed partial class StrictLines
        {
            [OnSocketLine(Ending = LineEnding.CrLf)] ValueTask Line(ReadOnlyMemory<char> line) => default;
        }

        public sealed partial class UnixLines
        {
            [OnSocketLine(Ending = LineEnding.Lf)] void Line(string line) { }
        }
        """);

    [Fact]
    public void LengthPrefixedAndDelimitedFraming() => VerifyGenerated("""
        namespace App;

        public sealed partial class Prefixed
        {
            [OnSocketFrame(LengthPrefix = 4, ByteOrder = ByteOrder.LittleEndian, LengthIncludesPrefix = true, MaxLength = 1 << 20)]
            void Frame(TcpSocket socket, ReadOnlyMemory<byte> frame) { }
        }

        public sealed partial class NetworkOrder
        {
            [OnSocketFrame(LengthPrefix = 2)] void Frame(ReadOnlySpan<byte> frame) { }
        }

        public partial class HeadDelimited
        {
            [OnSocketFrame(Delimiter = "\r\n\r\n")] void Head(string head) { }
        }
        """);

    [Fact]
    public void DecoderFraming() => VerifyGenerated("""
        namespace App;

        public readonly record struct Command(string Name);

        public sealed class CommandDecoder : IFrameDecoder<Command>
        {
            public int Decode(ReadOnlyMemory<byte> input, out Command frame)
            {
                frame = default;
                return 0;
            }

            public void Reset() { }
        }

        public partial class CommandDriver
        {
            [OnSocketFrame(Decoder = typeof(CommandDecoder), MaxLength = 4096)]
            ValueTask Command(TcpSocket socket, Command command) => default;

            [OnSocketError(typeof(FrameTooLongException))] void TooLong(TcpSocket socket) => socket.Write("-ERR too long\r\n");
        }
        """);

    private static void VerifyGenerated(string source, [CallerMemberName] string method = "")
    {
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(Usings + source));
        Assert.Empty(result.Diagnostics);
        GeneratorRunResult run = Assert.Single(result.Results);
        Assert.Null(run.Exception);
        Assert.NotEmpty(run.GeneratedSources);
        Assert.Empty(GeneratorHarness.Problems(output));
        foreach (GeneratedSourceResult generated in run.GeneratedSources.OrderBy(s => s.HintName, System.StringComparer.Ordinal))
        {
            Snapshot.Verify(generated.SourceText.ToString(), generated.HintName, testFile: SourceFile(), method: method);
        }
    }

    private static string SourceFile([CallerFilePath] string path = "") => path;
}
