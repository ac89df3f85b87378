using System.Globalization;
using System.Linq;
using Conserv.Generators.Helpers;
using Conserv.Generators.Model;

namespace Conserv.Generators.Emit;

/// <summary>Writes a framed driver's <c>Framing</c> (one shared instance per driver type).</summary>
internal static class FramingEmitter
{
    /// <summary>The static field that holds the driver type's framing (the <c>__Conserv</c> prefix is reserved for generated members).</summary>
    public const string FieldName = "__ConservFraming";

    public static void WriteFraming(IndentedWriter w, FramingModel framing, string generatedCode)
    {
        w.Line(generatedCode);
        w.Line($"private static readonly global::Conserv.SocketFraming {FieldName} = {Expression(framing)};");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line(generatedCode);
        w.Line($"global::Conserv.SocketFraming? {EventSignature.SocketInterface}.Framing => {FieldName};");
    }

    /// <summary>The runtime call that makes the framing.</summary>
    public static string Expression(FramingModel framing) => framing.Kind switch
    {
        FramingKind.Lines => $"global::Conserv.SocketFraming.Lines({Int(framing.MaxLength)}, {Ending(framing.Ending)})",
        FramingKind.Delimited => $"global::Conserv.SocketFraming.Delimited(new byte[] {{ {string.Join(", ", framing.Delimiter.Select(b => "0x" + b.ToString("X2", CultureInfo.InvariantCulture)))} }}, {Int(framing.MaxLength)})",
        FramingKind.LengthPrefixed => $"global::Conserv.SocketFraming.LengthPrefixed({Int(framing.PrefixLength)}, {Order(framing.LittleEndian)}, {Bool(framing.LengthIncludesPrefix)}, {Int(framing.MaxLength)})",
        _ => $"global::Conserv.SocketFraming.Decoder<{framing.DecoderType}, {framing.FrameType}>({Int(framing.MaxLength)})",
    };

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Order(bool littleEndian) => littleEndian ? "global::Conserv.ByteOrder.LittleEndian" : "global::Conserv.ByteOrder.BigEndian";

    private static string Ending(int ending) => ending switch
    {
        1 => "global::Conserv.LineEnding.Lf",
        2 => "global::Conserv.LineEnding.CrLf",
        _ => "global::Conserv.LineEnding.Any",
    };
}
