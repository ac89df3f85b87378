using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Conserv.Analyzers.CodeFixes;

/// <summary>CONSERV016: declares a parameter that may receive null (<c>TcpServer?</c>, the close cause) nullable.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeParameterNullableCodeFixProvider)), Shared]
public sealed class MakeParameterNullableCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ParameterMustBeNullable);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(context.Span, getInnermostNodeForTie: true).FirstAncestorOrSelf<ParameterSyntax>() is not { Type: { } type }
            || type is NullableTypeSyntax)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Declare it '{type.WithoutTrivia()}?'",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(
                        root.ReplaceNode(type, SyntaxFactory.NullableType(type.WithoutTrivia()).WithTriviaFrom(type)))),
                    nameof(MakeParameterNullableCodeFixProvider)),
                diagnostic);
        }
    }
}
