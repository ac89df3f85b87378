using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Conserv.Analyzers;

/// <summary>
/// CONSERV001, CONSERV010, CONSERV011: a type with handlers must be a non-static partial class, in partial types,
/// so the generator can add the driver implementation to it.
/// </summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class DriverDeclarationAnalyzer : DriverBindingAnalyzer
{
    /// <summary>Creates the analyzer.</summary>
    public DriverDeclarationAnalyzer()
        : base(
            (HandlerProblem.NotPartial, DiagnosticDescriptors.NotPartial),
            (HandlerProblem.DriverNotClass, DiagnosticDescriptors.DriverNotClass),
            (HandlerProblem.DriverIsStatic, DiagnosticDescriptors.DriverIsStatic))
    {
    }
}
