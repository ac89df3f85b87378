using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Conserv.Analyzers;

/// <summary>
/// CONSERV030, CONSERV031, CONSERV032: framing declarations the runtime would refuse — invalid settings, a decoder type
/// that cannot serve, and handlers of one driver that disagree on how the input is cut.
/// </summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class FramingAnalyzer : DriverBindingAnalyzer
{
    /// <summary>Creates the analyzer.</summary>
    public FramingAnalyzer()
        : base(
            (HandlerProblem.InvalidFraming, DiagnosticDescriptors.InvalidFraming),
            (HandlerProblem.InvalidDecoder, DiagnosticDescriptors.InvalidDecoder),
            (HandlerProblem.FramingConflict, DiagnosticDescriptors.FramingConflict))
    {
    }
}
