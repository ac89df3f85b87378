using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Conserv.Analyzers.CodeFixes;

/// <summary>CONSERV005, CONSERV006: removes the duplicated handler attribute, so the method is no longer a handler.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveDuplicateHandlerCodeFixProvider)), Shared]
public sealed class RemoveDuplicateHandlerCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticIds.DuplicateHandler, DiagnosticIds.DuplicateErrorType);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(context.Span).FirstAncestorOrSelf<AttributeSyntax>() is not { Parent: AttributeListSyntax list } attribute
            || list.Parent is not { } owner)
        {
            return;
        }

        string method = owner is MethodDeclarationSyntax m ? m.Identifier.ValueText : "the method";
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Remove [{attribute.Name}] from '{method}'",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(owner, Remove(owner, list, attribute)))),
                    nameof(RemoveDuplicateHandlerCodeFixProvider)),
                diagnostic);
        }
    }

    private static SyntaxNode Remove(SyntaxNode owner, AttributeListSyntax list, AttributeSyntax attribute)
    {
        if (list.Attributes.Count > 1)
        {
            return owner.ReplaceNode(list, list.RemoveNode(attribute, SyntaxRemoveOptions.KeepNoTrivia)!);
        }

        // Removing the whole list: what led it (indentation, doc comments) now leads whatever came after it.
        bool first = owner.GetFirstToken() == list.GetFirstToken();
        SyntaxNode removed = owner.RemoveNode(list, SyntaxRemoveOptions.KeepNoTrivia)!;
        return first ? removed.WithLeadingTrivia(owner.GetLeadingTrivia()) : removed;
    }
}
