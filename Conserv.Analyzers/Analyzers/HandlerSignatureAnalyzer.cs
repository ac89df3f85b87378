using System;
using System.Linq;
using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Conserv.Analyzers;

/// <summary>
/// CONSERV002, CONSERV012–CONSERV018, CONSERV022–CONSERV024: handler signatures the generator cannot bind (parameters, return type, kind of method, <c>__arglist</c>, obsolete as an error, reserved name).
/// CONSERV012 also covers handler attributes on local functions and lambdas, which are not members of a type, so the
/// parser (and the generator) never see them.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
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
            (HandlerProblem.SpanInAsyncHandler, DiagnosticDescriptors.SpanInAsyncHandler),
            (HandlerProblem.VarargsHandler, DiagnosticDescriptors.VarargsHandler),
            (HandlerProblem.ObsoleteHandler, DiagnosticDescriptors.ObsoleteHandler),
            (HandlerProblem.ReservedName, DiagnosticDescriptors.ReservedName))
    {
    }

    /// <inheritdoc/>
    private protected override (Action<OperationAnalysisContext, KnownTypes> Action, OperationKind[] Kinds)? OperationCheck =>
        (AnalyzeFunction, new[] { OperationKind.LocalFunction, OperationKind.AnonymousFunction });

    private static void AnalyzeFunction(OperationAnalysisContext context, KnownTypes known)
    {
        switch (context.Operation)
        {
            case ILocalFunctionOperation { Symbol: var local }:
                Report(context, local, local.Locations.FirstOrDefault(l => l.IsInSource), local.Name, known);
                break;
            case IAnonymousFunctionOperation { Symbol: var lambda }:
                Report(context, lambda, null, "lambda", known);
                break;
        }
    }

    private static void Report(OperationAnalysisContext context, IMethodSymbol function, Location? location, string name, KnownTypes known)
    {
        foreach (AttributeData attribute in function.GetAttributes())
        {
            if (known.TryGetEvent(attribute, out _))
            {
                Location at = location
                    ?? attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation()
                    ?? context.Operation.Syntax.GetLocation();
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NotOrdinaryMethod, at, name));
                return;
            }
        }
    }
}
