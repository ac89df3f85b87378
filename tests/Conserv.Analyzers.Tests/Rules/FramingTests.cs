using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Verify = Conserv.Analyzers.Tests.Infrastructure.Verifier<Conserv.Analyzers.FramingAnalyzer>;

namespace Conserv.Analyzers.Tests.Rules;

/// <summary>CONSERV030–032: framing declarations the runtime would refuse.</summary>
public class FramingTests
{
    [Fact]
    public Task CONSERV030_fires_on_settings_the_runtime_would_refuse() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class Lines
        {
            [{|#0:OnSocketLine(MaxLength = 0)|}]
            void Line(string line) { }
        }

        public partial class NoFraming
        {
            [{|#1:OnSocketFrame|}]
            void Frame(ReadOnlySpan<byte> frame) { }
        }

        public partial class TwoFramings
        {
            [{|#2:OnSocketFrame(LengthPrefix = 4, Delimiter = "\n")|}]
            void Frame(ReadOnlySpan<byte> frame) { }
        }

        public partial class OddPrefix
        {
            [{|#3:OnSocketFrame(LengthPrefix = 3)|}]
            void Frame(ReadOnlySpan<byte> frame) { }
        }

        public partial class WideDelimiter
        {
            [{|#4:OnSocketFrame(Delimiter = "€")|}]
            void Frame(string frame) { }
        }

        public partial class EmptyDelimiter
        {
            [{|#5:OnSocketFrame(Delimiter = "")|}]
            void Frame(string frame) { }
        }
        """,
        new DiagnosticResult("CONSERV030", DiagnosticSeverity.Error).WithLocation(0).WithMessage("[OnSocketLine] on 'Line': MaxLength is 0; it must be from 1 to 1073741824 (1 GiB)"),
        new DiagnosticResult("CONSERV030", DiagnosticSeverity.Error).WithLocation(1).WithMessage("[OnSocketFrame] on 'Frame': it sets none of LengthPrefix, Delimiter and Decoder; set exactly one"),
        new DiagnosticResult("CONSERV030", DiagnosticSeverity.Error).WithLocation(2).WithMessage("[OnSocketFrame] on 'Frame': it sets more than one of LengthPrefix, Delimiter and Decoder; set exactly one"),
        new DiagnosticResult("CONSERV030", DiagnosticSeverity.Error).WithLocation(3).WithMessage("[OnSocketFrame] on 'Frame': LengthPrefix is 3; it must be 1, 2, 4 or 8 bytes"),
        new DiagnosticResult("CONSERV030", DiagnosticSeverity.Error).WithLocation(4).WithMessage("[OnSocketFrame] on 'Frame': Delimiter has the character U+20AC; each character stands for one byte, so it must be U+0000 to U+00FF"),
        new DiagnosticResult("CONSERV030", DiagnosticSeverity.Error).WithLocation(5).WithMessage("[OnSocketFrame] on 'Frame': Delimiter is empty"));

    [Fact]
    public Task CONSERV031_fires_on_a_decoder_type_that_cannot_serve() => Verify.AnalyzeAsync(Verify.Usings + """
        public sealed class NotADecoder { }

        public abstract class AbstractDecoder : IFrameDecoder<string>
        {
            public abstract int Decode(ReadOnlyMemory<byte> input, out string frame);
            public void Reset() { }
        }

        public sealed class NeedsSettings : IFrameDecoder<string>
        {
            public NeedsSettings(int size) { }
            public int Decode(ReadOnlyMemory<byte> input, out string frame) { frame = ""; return 0; }
            public void Reset() { }
        }

        public sealed class TwoFrameTypes : IFrameDecoder<string>, IFrameDecoder<int>
        {
            public int Decode(ReadOnlyMemory<byte> input, out string frame) { frame = ""; return 0; }
            int IFrameDecoder<int>.Decode(ReadOnlyMemory<byte> input, out int frame) { frame = 0; return 0; }
            public void Reset() { }
        }

        public partial class Driver
        {
            [{|#0:OnSocketFrame(Decoder = typeof(NotADecoder))|}]
            void A(string frame) { }
        }

        public partial class Driver2
        {
            [{|#1:OnSocketFrame(Decoder = typeof(AbstractDecoder))|}]
            void B(string frame) { }
        }

        public partial class Driver3
        {
            [{|#2:OnSocketFrame(Decoder = typeof(NeedsSettings))|}]
            void C(string frame) { }
        }

        public partial class Driver4
        {
            [{|#3:OnSocketFrame(Decoder = typeof(TwoFrameTypes))|}]
            void D(string frame) { }
        }
        """,
        new DiagnosticResult("CONSERV031", DiagnosticSeverity.Error).WithLocation(0).WithMessage("[OnSocketFrame] on 'A': 'NotADecoder' does not implement IFrameDecoder<TFrame>; a decoder is a class or struct implementing IFrameDecoder<TFrame> once, with a public parameterless constructor"),
        new DiagnosticResult("CONSERV031", DiagnosticSeverity.Error).WithLocation(1).WithMessage("[OnSocketFrame] on 'B': 'AbstractDecoder' is abstract; a decoder is a class or struct implementing IFrameDecoder<TFrame> once, with a public parameterless constructor"),
        new DiagnosticResult("CONSERV031", DiagnosticSeverity.Error).WithLocation(2).WithMessage("[OnSocketFrame] on 'C': 'NeedsSettings' has no public parameterless constructor (one decoder is made per socket); a decoder is a class or struct implementing IFrameDecoder<TFrame> once, with a public parameterless constructor"),
        new DiagnosticResult("CONSERV031", DiagnosticSeverity.Error).WithLocation(3).WithMessage("[OnSocketFrame] on 'D': 'TwoFrameTypes' implements IFrameDecoder<TFrame> more than once; its frame type is ambiguous; a decoder is a class or struct implementing IFrameDecoder<TFrame> once, with a public parameterless constructor"));

    [Fact]
    public Task CONSERV032_fires_when_handlers_of_one_driver_cut_the_input_differently() => Verify.AnalyzeAsync(Verify.Usings + """
        public partial class RawAndLines
        {
            [OnSocketData]
            void Raw(ReadOnlySpan<byte> data) { }

            [{|#0:OnSocketLine|}]
            void Line(string line) { }
        }

        public partial class TwoLimits
        {
            [OnSocketLine(MaxLength = 100)]
            void Text(string line) { }

            [{|#1:OnSocketLine(MaxLength = 200)|}]
            void Bytes(ReadOnlySpan<byte> line) { }
        }
        """,
        new DiagnosticResult("CONSERV032", DiagnosticSeverity.Error).WithLocation(0).WithMessage("'Line' is framed differently from 'Raw' in 'RawAndLines': a driver cuts its input one way, so its data and frame handlers must all be raw ([OnSocketData]) or all have the same framing"),
        new DiagnosticResult("CONSERV032", DiagnosticSeverity.Error).WithLocation(1).WithMessage("'Bytes' is framed differently from 'Text' in 'TwoLimits': a driver cuts its input one way, so its data and frame handlers must all be raw ([OnSocketData]) or all have the same framing"));

    [Fact]
    public Task Valid_framings_are_silent() => Verify.AnalyzeAsync(Verify.Usings + """
        public readonly struct Command { }

        public struct CommandDecoder : IFrameDecoder<Command>
        {
            public int Decode(ReadOnlyMemory<byte> input, out Command frame) { frame = default; return 0; }
            public void Reset() { }
        }

        public partial class Lines
        {
            [OnSocketLine(MaxLength = 100, Ending = LineEnding.CrLf)]
            void Text(string line) { }

            [OnSocketLine(MaxLength = 100, Ending = LineEnding.CrLf)]
            void Bytes(ReadOnlySpan<byte> line) { }
        }

        public partial class Prefixed
        {
            [OnSocketFrame(LengthPrefix = 8, ByteOrder = ByteOrder.LittleEndian, LengthIncludesPrefix = true)]
            void Frame(ReadOnlyMemory<byte> frame) { }
        }

        public partial class Delimited
        {
            [OnSocketFrame(Delimiter = "\r\n\r\n", MaxLength = 16384)]
            void Head(string head) { }
        }

        public partial class Decoded
        {
            [OnSocketFrame(Decoder = typeof(CommandDecoder))]
            ValueTask Command(TcpSocket socket, Command command) => default;
        }
        """);
}
