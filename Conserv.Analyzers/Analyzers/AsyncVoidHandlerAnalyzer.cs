using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Conserv.Analyzers;

/// <summary>CONSERV007: an <c>async void</c> handler, whose completion and exceptions the loop would never see.</summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class AsyncVoidHandlerAnalyzer : DriverBindingAnalyzer
{
    /// <summary>Creates the analyzer.</summary>
    public AsyncVoidHandlerAnalyzer()
        : base((HandlerProblem.AsyncVoid, DiagnosticDescriptors.AsyncVoid))
    {
    }
}
