using System;
using System.Collections.Generic;
using System.Linq;
using Conserv.Generators.Helpers;
using Conserv.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Conserv.Generators.Parsing;

/// <summary>Reads the framing a <c>[OnSocketLine]</c> or <c>[OnSocketFrame]</c> attribute declares, and checks it as the runtime would.</summary>
internal static class Framings
{
    /// <summary>The runtime's defaults (<c>SocketFraming.DefaultMaxLineLength</c>, <c>DefaultMaxFrameLength</c>).</summary>
    public const int DefaultMaxLineLength = 8 * 1024;

    public const int DefaultMaxFrameLength = 64 * 1024;

    /// <summary>The runtime's <c>SocketFraming.LargestMaxLength</c>: 1 GiB.</summary>
    public const int LargestMaxLength = 1 << 30;

    /// <summary>
    /// The attribute's framing, or null when it is invalid (each problem reported). <paramref name="frameType"/> is the
    /// decoder's frame type when the attribute names a usable decoder type, so parameters bind even if another setting is wrong.
    /// </summary>
    public static FramingModel? Bind(
        IMethodSymbol method,
        AttributeData attribute,
        DriverEvent attributeEvent,
        KnownTypes known,
        out ITypeSymbol? frameType,
        Action<HandlerProblem, ISymbol, string?> problem)
    {
        frameType = null;
        bool ok = true;
        void Invalid(string detail)
        {
            ok = false;
            problem(HandlerProblem.InvalidFraming, method, detail);
        }

        var named = new Dictionary<string, TypedConstant>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            named[argument.Key] = argument.Value;
        }

        bool lines = attributeEvent == DriverEvent.SocketLine;
        int maxLength = Int(named, "MaxLength", lines ? DefaultMaxLineLength : DefaultMaxFrameLength);
        if (maxLength < 1 || maxLength > LargestMaxLength)
        {
            Invalid($"MaxLength is {maxLength}; it must be from 1 to {LargestMaxLength} (1 GiB)");
        }

        if (lines)
        {
            int ending = Int(named, "Ending", 0);
            if (ending is < 0 or > 2)
            {
                Invalid($"Ending is {ending}, not a defined LineEnding");
            }

            return ok ? new FramingModel(FramingKind.Lines, maxLength, Ending: ending) : null;
        }

        int prefix = Int(named, "LengthPrefix", 0);
        string? delimiter = named.TryGetValue("Delimiter", out TypedConstant d) ? d.Value as string : null;
        ITypeSymbol? decoder = named.TryGetValue("Decoder", out TypedConstant t) ? t.Value as ITypeSymbol : null;
        int chosen = (prefix != 0 ? 1 : 0) + (delimiter is not null ? 1 : 0) + (decoder is not null ? 1 : 0);
        if (chosen != 1)
        {
            Invalid(chosen == 0
                ? "it sets none of LengthPrefix, Delimiter and Decoder; set exactly one"
                : "it sets more than one of LengthPrefix, Delimiter and Decoder; set exactly one");
        }

        if (decoder is not null)
        {
            if (decoder.TypeKind == TypeKind.Error)
            {
                return null; // the compiler reports the broken typeof
            }

            frameType = CheckDecoder(method, decoder, known, problem);
            if (frameType is null || !ok)
            {
                return null;
            }

            return new FramingModel(
                FramingKind.Decoder,
                maxLength,
                DecoderType: decoder.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
                FrameType: frameType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
        }

        if (delimiter is not null)
        {
            if (delimiter.Length == 0)
            {
                Invalid("Delimiter is empty");
            }
            else if (delimiter.FirstOrDefault(c => c > '\u00FF') is var wide && wide != default(char))
            {
                Invalid($"Delimiter has the character U+{(int)wide:X4}; each character stands for one byte, so it must be U+0000 to U+00FF");
            }

            return ok ? new FramingModel(FramingKind.Delimited, maxLength, Delimiter: delimiter.Select(c => (byte)c).ToEquatableArray()) : null;
        }

        if (prefix != 0 && prefix is not (1 or 2 or 4 or 8))
        {
            Invalid($"LengthPrefix is {prefix}; it must be 1, 2, 4 or 8 bytes");
        }

        int byteOrder = Int(named, "ByteOrder", 0);
        if (byteOrder is not (0 or 1))
        {
            Invalid($"ByteOrder is {byteOrder}, not a defined ByteOrder");
        }

        bool includesPrefix = named.TryGetValue("LengthIncludesPrefix", out TypedConstant inc) && inc.Value is true;
        return ok ? new FramingModel(FramingKind.LengthPrefixed, maxLength, PrefixLength: prefix, LittleEndian: byteOrder == 1, LengthIncludesPrefix: includesPrefix) : null;
    }

    /// <summary>The frame type of a usable decoder type, or null (the problem reported).</summary>
    private static ITypeSymbol? CheckDecoder(IMethodSymbol method, ITypeSymbol decoder, KnownTypes known, Action<HandlerProblem, ISymbol, string?> problem)
    {
        string name = decoder.ToDisplayString();
        void Invalid(string detail) => problem(HandlerProblem.InvalidDecoder, method, $"'{name}' {detail}");

        if (decoder is not INamedTypeSymbol type || type.TypeKind is not (TypeKind.Class or TypeKind.Struct))
        {
            Invalid("is not a class or struct");
            return null;
        }

        if (type.IsAbstract || type.IsStatic)
        {
            Invalid(type.IsStatic ? "is static" : "is abstract");
            return null;
        }

        if (type.IsUnboundGenericType || type.TypeArguments.Any(a => a is ITypeParameterSymbol))
        {
            Invalid("is an open generic type; name a constructed one");
            return null;
        }

        if (DriverParser.FileLocalPart(type) is not null)
        {
            Invalid("is file-local, so the generated file cannot name it");
            return null;
        }

        if (!known.Compilation.IsSymbolAccessibleWithin(type, method.ContainingType))
        {
            Invalid("is not accessible from the driver");
            return null;
        }

        if (type.TypeKind == TypeKind.Class
            && !type.InstanceConstructors.Any(c => c.Parameters.Length == 0 && c.DeclaredAccessibility == Accessibility.Public))
        {
            Invalid("has no public parameterless constructor (one decoder is made per socket)");
            return null;
        }

        var contracts = type.AllInterfaces.Where(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, known.FrameDecoder)).ToList();
        if (contracts.Count != 1)
        {
            Invalid(contracts.Count == 0 ? "does not implement IFrameDecoder<TFrame>" : "implements IFrameDecoder<TFrame> more than once; its frame type is ambiguous");
            return null;
        }

        return contracts[0].TypeArguments[0];
    }

    private static int Int(Dictionary<string, TypedConstant> named, string name, int fallback) =>
        named.TryGetValue(name, out TypedConstant value) && value.Value is int number ? number : fallback;
}
