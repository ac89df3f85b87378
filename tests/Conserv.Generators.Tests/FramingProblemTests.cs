using System.Collections.Generic;
using System.Linq;
using Conserv.Generators.Parsing;
using Conserv.Generators.Tests.Infrastructure;

namespace Conserv.Generators.Tests;

/// <summary>
/// The framing a <c>[OnSocketLine]</c> or <c>[OnSocketFrame]</c> attribute declares is checked by the generator's own
/// parser as the runtime would check it (CONSERV030, CONSERV031): each problem with its wording, each limit at its
/// edge, and nothing generated for a handler with a problem. The analyzers' tests check the same rules through their
/// own compiled copy of the parser, which a change to the generator's copy does not reach.
/// </summary>
public class FramingProblemTests
{
    private const string Usings = "using System; using System.Threading.Tasks; using Conserv;\n";

    private const string Decoders = """
        public sealed record Command(string Name);
        public sealed class CommandDecoder : IFrameDecoder<Command> { public int Decode(ReadOnlyMemory<byte> input, out Command frame) { frame = null!; return 0; } public void Reset() { } }
        public struct StructDecoder : IFrameDecoder<Command> { public StructDecoder(int unused) { } public int Decode(ReadOnlyMemory<byte> input, out Command frame) { frame = null!; return 0; } public void Reset() { } }
        public sealed class TwoConstructors : IFrameDecoder<Command> { public TwoConstructors() { } public TwoConstructors(int size) { } public int Decode(ReadOnlyMemory<byte> input, out Command frame) { frame = null!; return 0; } public void Reset() { } }
        public sealed class NotADecoder { }
        public interface IDecoder : IFrameDecoder<Command> { }
        public abstract class AbstractDecoder : IFrameDecoder<Command> { public int Decode(ReadOnlyMemory<byte> input, out Command frame) { frame = null!; return 0; } public void Reset() { } }
        public static class StaticDecoder { }
        public sealed class GenericDecoder<T> : IFrameDecoder<Command> { public int Decode(ReadOnlyMemory<byte> input, out Command frame) { frame = null!; return 0; } public void Reset() { } }
        file sealed class FileDecoder : IFrameDecoder<Command> { public int Decode(ReadOnlyMemory<byte> input, out Command frame) { frame = null!; return 0; } public void Reset() { } }
        public sealed class NeedsSettings : IFrameDecoder<Command> { public NeedsSettings(int size) { } public int Decode(ReadOnlyMemory<byte> input, out Command frame) { frame = null!; return 0; } public void Reset() { } }
        public sealed class TwoFrameTypes : IFrameDecoder<Command>, IFrameDecoder<int>
        {
            public int Decode(ReadOnlyMemory<byte> input, out Command frame) { frame = null!; return 0; }
            int IFrameDecoder<int>.Decode(ReadOnlyMemory<byte> input, out int frame) { frame = 0; return 0; }
            public void Reset() { }
        }

        """;

    [Theory]
    [InlineData("[OnSocketLine(MaxLength = 0)] void H(string line) { }", "MaxLength is 0; it must be from 1 to 1073741824 (1 GiB)")]
    [InlineData("[OnSocketLine(MaxLength = 1073741825)] void H(string line) { }", "MaxLength is 1073741825; it must be from 1 to 1073741824 (1 GiB)")]
    [InlineData("[OnSocketFrame(LengthPrefix = 4, MaxLength = -1)] void H(ReadOnlySpan<byte> frame) { }", "MaxLength is -1; it must be from 1 to 1073741824 (1 GiB)")]
    [InlineData("[OnSocketLine(Ending = (LineEnding)3)] void H(string line) { }", "Ending is 3, not a defined LineEnding")]
    [InlineData("[OnSocketLine(Ending = (LineEnding)(-1))] void H(string line) { }", "Ending is -1, not a defined LineEnding")]
    [InlineData("[OnSocketFrame] void H(ReadOnlySpan<byte> frame) { }", "it sets none of LengthPrefix, Delimiter and Decoder; set exactly one")]
    [InlineData("[OnSocketFrame(LengthPrefix = 4, Delimiter = \"\\n\")] void H(ReadOnlySpan<byte> frame) { }", "it sets more than one of LengthPrefix, Delimiter and Decoder; set exactly one")]
    [InlineData("[OnSocketFrame(Delimiter = \"\\n\", Decoder = typeof(CommandDecoder))] void H(Command frame) { }", "it sets more than one of LengthPrefix, Delimiter and Decoder; set exactly one")]
    [InlineData("[OnSocketFrame(LengthPrefix = 3)] void H(ReadOnlySpan<byte> frame) { }", "LengthPrefix is 3; it must be 1, 2, 4 or 8 bytes")]
    [InlineData("[OnSocketFrame(LengthPrefix = -4)] void H(ReadOnlySpan<byte> frame) { }", "LengthPrefix is -4; it must be 1, 2, 4 or 8 bytes")]
    [InlineData("[OnSocketFrame(LengthPrefix = 4, ByteOrder = (ByteOrder)2)] void H(ReadOnlySpan<byte> frame) { }", "ByteOrder is 2, not a defined ByteOrder")]
    [InlineData("[OnSocketFrame(LengthPrefix = 4, ByteOrder = (ByteOrder)(-1))] void H(ReadOnlySpan<byte> frame) { }", "ByteOrder is -1, not a defined ByteOrder")]
    [InlineData("[OnSocketFrame(Delimiter = \"\")] void H(ReadOnlySpan<byte> frame) { }", "Delimiter is empty")]
    [InlineData("[OnSocketFrame(Delimiter = \"a\\u0100\")] void H(ReadOnlySpan<byte> frame) { }", "Delimiter has the character U+0100; each character stands for one byte, so it must be U+0000 to U+00FF")]
    [InlineData("[OnSocketFrame(Delimiter = \"€\")] void H(ReadOnlySpan<byte> frame) { }", "Delimiter has the character U+20AC; each character stands for one byte, so it must be U+0000 to U+00FF")]
    public void AFramingTheRuntimeWouldRefuseIsReportedWithWhatIsWrong(string handler, string detail)
    {
        AssertOneProblemOnHandlerH(Usings + Decoders + "public partial class D { " + handler + " }", HandlerProblem.InvalidFraming, detail);
    }

    [Theory]
    [InlineData("NotADecoder", "'NotADecoder' does not implement IFrameDecoder<TFrame>")]
    [InlineData("IDecoder", "'IDecoder' is not a class or struct")]
    [InlineData("AbstractDecoder", "'AbstractDecoder' is abstract")]
    [InlineData("StaticDecoder", "'StaticDecoder' is static")]
    [InlineData("GenericDecoder<>", "'GenericDecoder<>' is an open generic type; name a constructed one")]
    [InlineData("FileDecoder", "'FileDecoder' is file-local, so the generated file cannot name it")]
    [InlineData("NeedsSettings", "'NeedsSettings' has no public parameterless constructor (one decoder is made per socket)")]
    [InlineData("TwoFrameTypes", "'TwoFrameTypes' implements IFrameDecoder<TFrame> more than once; its frame type is ambiguous")]
    public void ADecoderTheRuntimeCouldNotMakeIsReportedWithWhatIsWrong(string decoder, string detail)
    {
        AssertOneProblemOnHandlerH(
            Usings + Decoders + "public partial class D { [OnSocketFrame(Decoder = typeof(" + decoder + "))] void H(TcpSocket socket) { } }",
            HandlerProblem.InvalidDecoder,
            detail);
    }

    [Theory]
    [InlineData("[OnSocketLine(MaxLength = 1)] void H(string line) { }")]
    [InlineData("[OnSocketLine(MaxLength = 1073741824, Ending = LineEnding.CrLf)] void H(string line) { }")]
    [InlineData("[OnSocketLine(Ending = LineEnding.Any)] void H(string line) { }")]
    [InlineData("[OnSocketFrame(LengthPrefix = 1)] void H(ReadOnlySpan<byte> frame) { }")]
    [InlineData("[OnSocketFrame(LengthPrefix = 8, ByteOrder = ByteOrder.LittleEndian)] void H(ReadOnlySpan<byte> frame) { }")]
    [InlineData("[OnSocketFrame(Delimiter = \"\\u00FF\\u0000\")] void H(ReadOnlySpan<byte> frame) { }")]
    [InlineData("[OnSocketFrame(Decoder = typeof(StructDecoder))] void H(Command frame) { }")]
    [InlineData("[OnSocketFrame(Decoder = typeof(TwoConstructors))] void H(Command frame) { }")]
    [InlineData("[OnSocketFrame(Decoder = typeof(CommandDecoder), MaxLength = 1)] void H(Command frame) { }")]
    public void AFramingAtTheEdgeOfWhatTheRuntimeTakesIsGenerated(string handler)
    {
        string source = Usings + Decoders + "public partial class D { " + handler + " }";

        Assert.Empty(BindingProblemTests.ParseAll(source));
        Assert.Contains("__ConservFraming", Assert.Single(GeneratorHarness.Generate(source)).Value);
    }

    [Theory]
    [InlineData("", "false")]
    [InlineData(", LengthIncludesPrefix = false", "false")]
    [InlineData(", LengthIncludesPrefix = true", "true")]
    public void LengthIncludesPrefixIsWrittenAsGivenAndIsFalseByDefault(string setting, string written)
    {
        string source = Usings + "public partial class D { [OnSocketFrame(LengthPrefix = 2" + setting + ")] void H(ReadOnlySpan<byte> frame) { } }";

        Assert.Empty(BindingProblemTests.ParseAll(source));
        Assert.Contains($"SocketFraming.LengthPrefixed(2, global::Conserv.ByteOrder.BigEndian, {written}, ", Assert.Single(GeneratorHarness.Generate(source)).Value);
    }

    private static void AssertOneProblemOnHandlerH(string source, HandlerProblem kind, string detail)
    {
        BindingProblem problem = Assert.Single(BindingProblemTests.ParseAll(source));

        Assert.Equal(kind, problem.Kind);
        Assert.Equal("H", problem.Symbol.Name);
        Assert.Equal(detail, problem.Detail);
        Assert.Empty(GeneratorHarness.Generate(source));
    }
}
