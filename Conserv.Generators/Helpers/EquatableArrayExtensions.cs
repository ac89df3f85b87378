using System.Collections.Generic;

namespace Conserv.Generators.Helpers;

/// <summary>Conversions to <see cref="EquatableArray{T}"/>.</summary>
internal static class EquatableArrayExtensions
{
    public static EquatableArray<T> ToEquatableArray<T>(this IEnumerable<T> items)
        where T : System.IEquatable<T>
        => new(new List<T>(items).ToArray());
}
