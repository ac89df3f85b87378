using System.Collections.Immutable;
using System.Linq;
using Conserv.Generators.Model;
using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Conserv.Analyzers;

/// <summary>
/// CONSERV008: <c>SocketEvents.DropConnection</c> called outside an <c>[OnSocketError]</c> handler, where it throws.
/// CONSERV019: called after an <c>await</c> in one, where it throws too.
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

        if (member is IMethodSymbol { IsAsync: true } && FollowsAwait(invocation.Syntax))
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.DropConnectionAfterAwait,
                invocation.Syntax.GetLocation(),
                member.Name));
        }
    }

    /// <summary>Whether an <c>await</c> of the same method body comes before <paramref name="call"/> in the text.</summary>
    private static bool FollowsAwait(SyntaxNode call)
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
