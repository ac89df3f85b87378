using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Conserv.Generators.Model;
using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Conserv.Analyzers;

/// <summary>
/// CONSERV008: <c>SocketEvents.DropConnection</c> called outside an <c>[OnSocketError]</c> handler, where it throws.
/// CONSERV019: called where an <c>await</c> of the handler may have run before it (by control flow, not text order), where it throws too.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DropConnectionAnalyzer : DiagnosticAnalyzer
{
    private const string SocketEventsName = "Conserv.SocketEvents";
    private const string DropConnectionName = "DropConnection";

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.DropConnectionOutsideErrorHandler, DiagnosticDescriptors.DropConnectionAfterAwait);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            INamedTypeSymbol? socketEvents = start.Compilation.GetTypeByMetadataName(SocketEventsName);
            var known = new KnownTypes(start.Compilation);
            if (socketEvents is null || !known.IsUsable)
            {
                return;
            }

            start.RegisterOperationAction(operation => Analyze(operation, socketEvents, known), OperationKind.Invocation);
        });
    }

    private static void Analyze(OperationAnalysisContext context, INamedTypeSymbol socketEvents, KnownTypes known)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (invocation.TargetMethod.Name != DropConnectionName
            || !SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, socketEvents)
            || !Handlers.IsInOwnBody(invocation))
        {
            return; // in a lambda or local function, it may well run while the handler does: give it the benefit of the doubt
        }

        ISymbol member = context.ContainingSymbol;
        if (Handlers.GetEvent(member, known) != DriverEvent.SocketError)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.DropConnectionOutsideErrorHandler,
                invocation.Syntax.GetLocation(),
                member.Name));
            return;
        }

        if (member is IMethodSymbol { IsAsync: true } && FollowsAwait(invocation, context.CancellationToken))
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.DropConnectionAfterAwait,
                invocation.Syntax.GetLocation(),
                member.Name));
        }
    }

    /// <summary>
    /// Whether some path of the method's control flow runs an <c>await</c> before <paramref name="call"/>: an await in
    /// a block the call's block is reachable from (a later loop iteration included), or earlier in the call's own block.
    /// Exceptions count as flow: a block in a <c>try</c> may continue in its <c>catch</c> or <c>finally</c>, and a
    /// <c>finally</c> may continue wherever the <c>try</c> is left for. Awaits in lambdas and local functions are not
    /// the method's own.
    /// </summary>
    private static bool FollowsAwait(IInvocationOperation call, CancellationToken cancellationToken)
    {
        IOperation root = call;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        ControlFlowGraph? graph = root switch
        {
            IMethodBodyOperation body => ControlFlowGraph.Create(body, cancellationToken),
            IBlockOperation block => ControlFlowGraph.Create(block, cancellationToken),
            _ => null,
        };
        if (graph is null)
        {
            return FollowsAwaitInText(call.Syntax);
        }

        BasicBlock? callBlock = null;
        var awaitEnds = new Dictionary<BasicBlock, int>();
        foreach (BasicBlock block in graph.Blocks)
        {
            foreach (IOperation operation in Operations(block))
            {
                foreach (IOperation descendant in operation.DescendantsAndSelf())
                {
                    if (descendant is IAwaitOperation awaited)
                    {
                        // The earliest end of an await in the block: what ends before the call's end ran before it.
                        int end = awaited.Syntax.Span.End;
                        awaitEnds[block] = awaitEnds.TryGetValue(block, out int seen) ? Math.Min(seen, end) : end;
                    }
                    else if (descendant is IInvocationOperation invocation && invocation.Syntax == call.Syntax)
                    {
                        callBlock = block;
                    }
                }
            }
        }

        if (callBlock is null || awaitEnds.Count == 0)
        {
            return callBlock is null && FollowsAwaitInText(call.Syntax);
        }

        if (awaitEnds.TryGetValue(callBlock, out int firstAwaitEnd) && firstAwaitEnd <= call.Syntax.Span.End)
        {
            return true;
        }

        var reached = new HashSet<BasicBlock>();
        var pending = new Stack<BasicBlock>();
        foreach (BasicBlock awaiting in awaitEnds.Keys)
        {
            foreach (BasicBlock next in Successors(graph, awaiting))
            {
                pending.Push(next);
            }
        }

        while (pending.Count > 0)
        {
            BasicBlock block = pending.Pop();
            if (!reached.Add(block))
            {
                continue;
            }

            if (block == callBlock)
            {
                return true;
            }

            foreach (BasicBlock next in Successors(graph, block))
            {
                pending.Push(next);
            }
        }

        return false;
    }

    private static IEnumerable<IOperation> Operations(BasicBlock block)
    {
        foreach (IOperation operation in block.Operations)
        {
            yield return operation;
        }

        if (block.BranchValue is { } branch)
        {
            yield return branch;
        }
    }

    /// <summary>Where control may go after <paramref name="block"/>: its branches, and the exceptional flow the graph leaves implicit.</summary>
    private static IEnumerable<BasicBlock> Successors(ControlFlowGraph graph, BasicBlock block)
    {
        foreach (ControlFlowBranch? branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
        {
            if (branch?.Destination is { } destination)
            {
                yield return destination;
            }
        }

        for (ControlFlowRegion? region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
        {
            if (region.Kind == ControlFlowRegionKind.Try && region.EnclosingRegion is { } tryAnd)
            {
                // Anything in a try may throw into its handlers (catch, filter, finally).
                foreach (ControlFlowRegion handler in tryAnd.NestedRegions)
                {
                    if (handler != region)
                    {
                        yield return graph.Blocks[handler.FirstBlockOrdinal];
                    }
                }
            }
            else if (region.Kind == ControlFlowRegionKind.Finally
                && block.Ordinal == region.LastBlockOrdinal
                && region.EnclosingRegion?.NestedRegions.FirstOrDefault(r => r.Kind == ControlFlowRegionKind.Try) is { } tried)
            {
                // The end of a finally continues wherever the try was left for.
                for (int i = tried.FirstBlockOrdinal; i <= tried.LastBlockOrdinal; i++)
                {
                    foreach (ControlFlowBranch? branch in new[] { graph.Blocks[i].FallThroughSuccessor, graph.Blocks[i].ConditionalSuccessor })
                    {
                        if (branch?.Destination is { } destination && (destination.Ordinal < tried.FirstBlockOrdinal || destination.Ordinal > tried.LastBlockOrdinal))
                        {
                            yield return destination;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Whether an <c>await</c> of the same method body comes before <paramref name="call"/> in the text (when there is no control flow graph).</summary>
    private static bool FollowsAwaitInText(SyntaxNode call)
    {
        SyntaxNode? body = call.FirstAncestorOrSelf<MemberDeclarationSyntax>();
        if (body is null)
        {
            return false;
        }

        return body.DescendantNodes(n => n == body || !IsFunction(n))
            .Any(n => n.Span.End <= call.SpanStart && IsAwait(n));
    }

    private static bool IsAwait(SyntaxNode node) => node switch
    {
        AwaitExpressionSyntax => true,
        ForEachStatementSyntax f => f.AwaitKeyword.IsKind(SyntaxKind.AwaitKeyword),
        UsingStatementSyntax u => u.AwaitKeyword.IsKind(SyntaxKind.AwaitKeyword),
        _ => false,
    };

    private static bool IsFunction(SyntaxNode node) => node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax;
}
