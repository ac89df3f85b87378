using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Conserv.Analyzers;

/// <summary>
/// CONSERV001, CONSERV010, CONSERV011: a type with handlers must be a non-static partial class, in partial types,
/// so the generator can add the driver implementation to it. CONSERV020: neither the driver nor an error handler's
/// exception type may be file-local. CONSERV021: the C# version must be one the generated code compiles with.
/// CONSERV025: an event is implemented by hand and by a handler. CONSERV026: a hand-written base's explicit error member, which
/// the generated error member cannot call.
/// </summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class DriverDeclarationAnalyzer : DriverBindingAnalyzer
{
    /// <summary>Creates the analyzer.</summary>
    public DriverDeclarationAnalyzer()
        : base(
            (HandlerProblem.NotPartial, DiagnosticDescriptors.NotPartial),
            (HandlerProblem.DriverNotClass, DiagnosticDescriptors.DriverNotClass),
            (HandlerProblem.DriverIsStatic, DiagnosticDescriptors.DriverIsStatic),
            (HandlerProblem.FileLocalDriver, DiagnosticDescriptors.FileLocalType),
            (HandlerProblem.FileLocalExceptionType, DiagnosticDescriptors.FileLocalType),
            (HandlerProblem.LanguageVersionTooOld, DiagnosticDescriptors.LanguageVersionTooOld),
            (HandlerProblem.HandWrittenEvent, DiagnosticDescriptors.HandWrittenEvent),
            (HandlerProblem.UnreachableBaseErrorMember, DiagnosticDescriptors.UnreachableBaseErrorMember))
    {
    }
}
