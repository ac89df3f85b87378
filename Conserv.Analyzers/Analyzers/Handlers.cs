using Conserv.Generators.Model;
using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Conserv.Analyzers;

/// <summary>Questions about handler methods, answered with the generator's <see cref="KnownTypes"/>.</summary>
internal static class Handlers
{
    /// <summary>Whether <paramref name="type"/> declares a method with a handler attribute (not a generated adapter).</summary>
    public static bool DeclaresHandler(INamedTypeSymbol type, KnownTypes known)
    {
        foreach (ISymbol member in type.GetMembers())
        {
            if (member is IMethodSymbol method
                && !(method.Name.StartsWith(DriverParser.GeneratedPrefix, System.StringComparison.Ordinal) && DriverParser.IsGenerated(method))
                && GetEvent(method, known) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The event the method handles, or null when it has no handler attribute.</summary>
    public static DriverEvent? GetEvent(ISymbol? symbol, KnownTypes known)
    {
        if (symbol is not IMethodSymbol method)
        {
            return null;
        }

        foreach (AttributeData attribute in method.GetAttributes())
        {
            if (known.TryGetEvent(attribute, out DriverEvent driverEvent))
            {
                return driverEvent;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="operation"/> runs in its containing member's own body, not in a lambda or
    /// local function (which may run later, or on another thread).
    /// </summary>
    public static bool IsInOwnBody(IOperation operation)
    {
        for (IOperation? o = operation.Parent; o is not null; o = o.Parent)
        {
            if (o is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The attribute's name as written in code: <c>OnSocketError</c> for <c>OnSocketErrorAttribute</c>.</summary>
    public static string ShortName(AttributeData? attribute)
    {
        string name = attribute?.AttributeClass?.Name ?? "handler";
        return name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }
}
