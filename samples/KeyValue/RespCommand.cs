using System;

namespace Conserv.Samples.KeyValue;

/// <summary>
/// One Redis command: its name and arguments, as slices of what the client sent (no copy). Valid only while
/// the handler that received it runs: keep an argument longer with <c>ToArray()</c>.
/// </summary>
public readonly struct RespCommand
{
    private readonly ReadOnlyMemory<byte> _source;
    private readonly (int Start, int Length)[] _arguments;

    internal RespCommand(ReadOnlyMemory<byte> source, (int Start, int Length)[] arguments, int count)
    {
        _source = source;
        _arguments = arguments;
        Count = count;
    }

    /// <summary>The number of arguments, the command's name included (0 for an empty line or <c>*0</c>, which Redis ignores).</summary>
    public int Count { get; }

    /// <summary>Argument <paramref name="index"/> (0: the command's name).</summary>
    /// <param name="index">Which argument.</param>
    public ReadOnlySpan<byte> this[int index] => Memory(index).Span;

    /// <summary>Argument <paramref name="index"/> as memory.</summary>
    /// <param name="index">Which argument.</param>
    /// <returns>Its bytes.</returns>
    public ReadOnlyMemory<byte> Memory(int index) =>
        (uint)index < (uint)Count ? _source.Slice(_arguments[index].Start, _arguments[index].Length) : throw new ArgumentOutOfRangeException(nameof(index));
}
