using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Conserv.Analyzers;

/// <summary>
/// Base of the analyzers that report the generator's binding problems. Each runs the generator's own
/// <see cref="DriverParser"/> on every type that declares a handler, and reports the problems of the kinds it owns.
/// </summary>
public abstract class DriverBindingAnalyzer : DiagnosticAnalyzer
{
    private readonly ImmutableDictionary<HandlerProblem, DiagnosticDescriptor> _rules;

    private protected DriverBindingAnalyzer(params (HandlerProblem Kind, DiagnosticDescriptor Rule)[] rules)
    {
        _rules = rules.ToImmutableDictionary(r => r.Kind, r => r.Rule);
        SupportedDiagnostics = rules.Select(r => r.Rule).Distinct().ToImmutableArray();
    }

    /// <inheritdoc/>
    public sealed override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; }

    /// <summary>The binding problems this analyzer reports.</summary>
    internal IEnumerable<HandlerProblem> Problems => _rules.Keys;

    /// <inheritdoc/>
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var known = new KnownTypes(start.Compilation);
            if (!known.IsUsable)
            {
                return; // no Conserv runtime referenced: nothing is a driver
            }

            start.RegisterSymbolAction(symbol => Analyze(symbol, known), SymbolKind.NamedType);
            if (OperationCheck is { } check)
            {
                start.RegisterOperationAction(operation => check.Action(operation, known), check.Kinds);
            }
        });
    }

    /// <summary>What a derived analyzer checks on operations beside the parser's problems (in compilations that reference the runtime), or null.</summary>
    private protected virtual (Action<OperationAnalysisContext, KnownTypes> Action, OperationKind[] Kinds)? OperationCheck => null;

    private void Analyze(SymbolAnalysisContext context, KnownTypes known)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (!Handlers.DeclaresHandler(type, known))
        {
            return;
        }

        DriverParser.Parse(
            type,
            known,
            problem =>
            {
                if (_rules.TryGetValue(problem.Kind, out DiagnosticDescriptor? rule)
                    && BindingDiagnostics.Create(rule, problem, type, known, context.CancellationToken) is { } diagnostic)
                {
                    context.ReportDiagnostic(diagnostic);
                }
            },
            context.CancellationToken);
    }
}
