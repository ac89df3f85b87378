using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Conserv.Analyzers;

/// <summary>
/// CONSERV003, CONSERV004: an error handler's attribute must name an <c>Exception</c>, and its exception parameter must be able to receive it.
/// </summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class ExceptionTypeAnalyzer : DriverBindingAnalyzer
{
    /// <summary>Creates the analyzer.</summary>
    public ExceptionTypeAnalyzer()
        : base(
            (HandlerProblem.ExceptionTypeNotException, DiagnosticDescriptors.ExceptionTypeNotException),
            (HandlerProblem.ParameterNotAssignableFromExceptionType, DiagnosticDescriptors.ParameterNotAssignableFromExceptionType))
    {
    }
}
