using System.Text;
using Conserv.Generators.Helpers;

namespace Conserv.Generators.Model;

/// <summary>Where a driver is declared: its namespace and its chain of containing types, outermost first, ending with the driver itself.</summary>
/// <param name="Namespace">The namespace as metadata spells it (<c>App.class</c>, no <c>@</c>), empty for the global namespace.</param>
/// <param name="Types">The containing types, outermost first; the last one is the driver.</param>
internal sealed record HierarchyInfo(string Namespace, EquatableArray<TypeDeclaration> Types)
{
    /// <summary>The driver's fully qualified name with its type parameters, such as <c>global::Ns.Outer.Driver&lt;T&gt;</c>, keywords escaped (<c>global::App.@class.@event</c>).</summary>
    public string FullyQualifiedName
    {
        get
        {
            var builder = new StringBuilder("global::");
            if (Namespace.Length > 0)
            {
                builder.Append(Identifiers.EscapeDotted(Namespace)).Append('.');
            }

            for (int i = 0; i < Types.Count; i++)
            {
                builder.Append(i == 0 ? string.Empty : ".").Append(Identifiers.Escape(Types[i].Name)).Append(Types[i].TypeParameters);
            }

            return builder.ToString();
        }
    }

    /// <summary>
    /// The exact metadata name (<c>Ns.Outer+Driver`1</c>, no <c>@</c>): unique per driver, but only with case.
    /// The hint name is made from it by <c>Emit.HintNames</c>.
    /// </summary>
    public string MetadataName
    {
        get
        {
            var builder = new StringBuilder();
            if (Namespace.Length > 0)
            {
                builder.Append(Namespace).Append('.');
            }

            for (int i = 0; i < Types.Count; i++)
            {
                builder.Append(i == 0 ? string.Empty : "+").Append(Types[i].Name);
                if (Types[i].Arity > 0)
                {
                    builder.Append('`').Append(Types[i].Arity);
                }
            }

            return builder.ToString();
        }
    }
}
