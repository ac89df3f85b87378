using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Conserv.Analyzers;

/// <summary>
/// CONSERV002, CONSERV012–CONSERV018: handler signatures the generator cannot bind (parameters, return type, kind of method).
/// </summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class HandlerSignatureAnalyzer : DriverBindingAnalyzer
{
    /// <summary>Creates the analyzer.</summary>
    public HandlerSignatureAnalyzer()
        : base(
            (HandlerProblem.UnbindableParameter, DiagnosticDescriptors.UnbindableParameter),
            (HandlerProblem.NotOrdinaryMethod, DiagnosticDescriptors.NotOrdinaryMethod),
            (HandlerProblem.GenericHandler, DiagnosticDescriptors.GenericHandler),
            (HandlerProblem.DuplicateParameter, DiagnosticDescriptors.DuplicateParameter),
            (HandlerProblem.MissingDataParameter, DiagnosticDescriptors.MissingDataParameter),
            (HandlerProblem.ParameterMustBeNullable, DiagnosticDescriptors.ParameterMustBeNullable),
            (HandlerProblem.UnsupportedReturnType, DiagnosticDescriptors.UnsupportedReturnType),
            (HandlerProblem.SpanInAsyncHandler, DiagnosticDescriptors.SpanInAsyncHandler))
    {
    }
}
