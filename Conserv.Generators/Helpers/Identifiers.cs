using System.Linq;
using Microsoft.CodeAnalysis.CSharp;

namespace Conserv.Generators.Helpers;

/// <summary>Writes names as C# source: a name that is a keyword (<c>class</c>, or a contextual one such as <c>record</c>) gets <c>@</c>.</summary>
internal static class Identifiers
{
    /// <summary><paramref name="name"/> (as a symbol spells it, without <c>@</c>) as an identifier.</summary>
    public static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None
            ? "@" + name
            : name;

    /// <summary>A dotted name (<c>App.class</c>) with each segment escaped (<c>App.@class</c>).</summary>
    public static string EscapeDotted(string name) => string.Join(".", name.Split('.').Select(Escape));
}
