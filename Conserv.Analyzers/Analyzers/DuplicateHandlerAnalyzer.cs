using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Conserv.Analyzers;

/// <summary>
/// CONSERV005, CONSERV006: one handler per event (per data kind) and one error handler per exception type in a class.
/// </summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class DuplicateHandlerAnalyzer : DriverBindingAnalyzer
{
    /// <summary>Creates the analyzer.</summary>
    public DuplicateHandlerAnalyzer()
        : base(
            (HandlerProblem.DuplicateHandler, DiagnosticDescriptors.DuplicateHandler),
            (HandlerProblem.DuplicateErrorType, DiagnosticDescriptors.DuplicateErrorType))
    {
    }
}
