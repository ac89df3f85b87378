using Conserv.Generators.Helpers;

namespace Conserv.Generators.Model;

/// <summary>The kinds of framing a handler attribute declares.</summary>
internal enum FramingKind
{
    /// <summary><c>[OnSocketLine]</c>.</summary>
    Lines,

    /// <summary><c>[OnSocketFrame(Delimiter = …)]</c>.</summary>
    Delimited,

    /// <summary><c>[OnSocketFrame(LengthPrefix = …)]</c>.</summary>
    LengthPrefixed,

    /// <summary><c>[OnSocketFrame(Decoder = typeof(…))]</c>.</summary>
    Decoder,
}

/// <summary>How a framed handler's input is cut: the attribute's settings, as plain values.</summary>
/// <param name="Kind">The kind of framing.</param>
/// <param name="MaxLength">The longest frame accepted.</param>
/// <param name="Ending">Lines: the <c>LineEnding</c> value.</param>
/// <param name="PrefixLength">Length-prefixed: the prefix size in bytes.</param>
/// <param name="LittleEndian">Length-prefixed: the prefix is little-endian.</param>
/// <param name="LengthIncludesPrefix">Length-prefixed: the length counts the prefix.</param>
/// <param name="Delimiter">Delimited: the delimiter's bytes.</param>
/// <param name="DecoderType">Decoder: the decoder type, fully qualified.</param>
/// <param name="FrameType">Decoder: its frame type, fully qualified.</param>
internal sealed record FramingModel(
    FramingKind Kind,
    int MaxLength,
    int Ending = 0,
    int PrefixLength = 0,
    bool LittleEndian = false,
    bool LengthIncludesPrefix = false,
    EquatableArray<byte> Delimiter = default,
    string? DecoderType = null,
    string? FrameType = null);
