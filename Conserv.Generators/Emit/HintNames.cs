using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Conserv.Generators.Helpers;
using Conserv.Generators.Model;
using Microsoft.CodeAnalysis.CSharp;

namespace Conserv.Generators.Emit;

/// <summary>
/// File names for the generated parts. The compiler wants hint names unique ignoring case and made of
/// identifier characters and <c>.,-+`_ ()[]{}</c>; metadata names are unique only with case.
/// </summary>
internal static class HintNames
{
    /// <summary>What every hint name ends with.</summary>
    public const string Suffix = ".Conserv.g.cs";

    /// <summary><paramref name="metadataName"/> with every character the compiler refuses in a hint name replaced by <c>_</c>.</summary>
    public static string Sanitize(string metadataName)
    {
        var builder = new StringBuilder(metadataName.Length);
        foreach (char c in metadataName)
        {
            builder.Append(SyntaxFacts.IsIdentifierPartCharacter(c) || c is '.' or '+' or '`' ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>
    /// One hint name per driver, in the order given (ordered by metadata name). A driver keeps
    /// <c>{metadata name}.Conserv.g.cs</c> unless another driver's name equals it ignoring case; then each of
    /// those gets <c>-{hash}</c> (FNV-1a of the exact metadata name) before the suffix. No metadata name
    /// holds <c>-</c>, so a disambiguated name never meets a plain one.
    /// </summary>
    public static EquatableArray<GeneratedDriver> Assign(IReadOnlyList<DriverModel> drivers)
    {
        var plain = drivers.Select(d => Sanitize(d.Hierarchy.MetadataName)).ToArray();
        var counts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in plain)
        {
            counts.TryGetValue(name, out int n);
            counts[name] = n + 1;
        }

        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var result = new List<GeneratedDriver>(drivers.Count);
        for (int i = 0; i < drivers.Count; i++)
        {
            string name = counts[plain[i]] == 1 ? plain[i] : $"{plain[i]}-{Hash(drivers[i].Hierarchy.MetadataName):x8}";
            string unique = name;
            for (int n = 2; !taken.Add(unique); n++)
            {
                unique = $"{name}-{n}"; // two exact names with one hash: never seen, but never a crash either
            }

            result.Add(new GeneratedDriver(drivers[i], unique + Suffix));
        }

        return result.ToEquatableArray();
    }

    private static uint Hash(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 16777619;
        }

        return hash;
    }
}
