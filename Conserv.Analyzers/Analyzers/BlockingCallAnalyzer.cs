using System.Collections.Immutable;
using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Conserv.Analyzers;

/// <summary>
/// CONSERV009: a call in a handler's own body that blocks the thread (sleeping, waiting on a task or a lock,
/// synchronous socket, stream, file or console I/O). Every socket of the loop waits while it does.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BlockingCallAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.BlockingCall);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var known = new KnownTypes(start.Compilation);
            if (!known.IsUsable)
            {
                return;
            }

            var members = new BlockingMembers(start.Compilation);
            start.RegisterOperationAction(
                operation => Analyze(operation, known, members),
                OperationKind.Invocation,
                OperationKind.PropertyReference);
        });
    }

    private static void Analyze(OperationAnalysisContext context, KnownTypes known, BlockingMembers members)
    {
        (ISymbol member, IOperation? receiver) = context.Operation switch
        {
            IInvocationOperation invocation => ((ISymbol)invocation.TargetMethod, invocation.Instance),
            IPropertyReferenceOperation property => (property.Property, property.Instance),
            _ => (null!, null),
        };

        if (member is null || members.Advice(member, receiver?.Type) is not { } advice)
        {
            return;
        }

        if (Handlers.GetEvent(context.ContainingSymbol, known) is null || !Handlers.IsInOwnBody(context.Operation))
        {
            return; // not a handler, or code a handler hands to another thread or runs later
        }

        if (NonBlockingUse.Applies(context.Operation, context.CancellationToken))
        {
            return; // a zero timeout, or the result of a task checked to be complete
        }

        context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.BlockingCall,
            context.Operation.Syntax.GetLocation(),
            context.ContainingSymbol.Name,
            member.ContainingType.Name + "." + member.Name,
            advice));
    }
}
