namespace Conserv.Generators.Model;

/// <summary>Facts about each <see cref="ArgumentKind"/>.</summary>
internal static class ArgumentKindExtensions
{
    public static bool IsByteData(this ArgumentKind kind) => kind is >= ArgumentKind.ByteSpan and <= ArgumentKind.ByteSegment;

    public static bool IsTextData(this ArgumentKind kind) => kind is >= ArgumentKind.String and <= ArgumentKind.CharMemory;

    public static bool IsData(this ArgumentKind kind) => kind.IsByteData() || kind.IsTextData();
}
