using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace Conserv.Analyzers.CodeFixes;

/// <summary>CONSERV001: adds <c>partial</c> to the type and to every type containing it.</summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(MakePartialCodeFixProvider)), Shared]
public sealed class MakePartialCodeFixProvider : CodeFixProvider
{
    private const string Title = "Make the driver and its containing types partial";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.NotPartial);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => DocumentFixAll.Create(FixAsync);

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(context.Span).FirstAncestorOrSelf<TypeDeclarationSyntax>() is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                CodeAction.Create(Title, c => FixAsync(context.Document, ImmutableArray.Create(diagnostic), c), nameof(MakePartialCodeFixProvider)),
                diagnostic);
        }
    }

    private static async Task<Document> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        DocumentEditor editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var types = new HashSet<TypeDeclarationSyntax>();
        foreach (Diagnostic diagnostic in diagnostics)
        {
            SyntaxNode node = editor.OriginalRoot.FindNode(diagnostic.Location.SourceSpan);
            foreach (TypeDeclarationSyntax type in node.AncestorsAndSelf().OfType<TypeDeclarationSyntax>())
            {
                types.Add(type);
            }
        }

        foreach (TypeDeclarationSyntax type in types)
        {
            editor.ReplaceNode(type, (current, generator) =>
            {
                DeclarationModifiers modifiers = generator.GetModifiers(current);
                return modifiers.IsPartial ? current : generator.WithModifiers(current, modifiers.WithPartial(true));
            });
        }

        return editor.GetChangedDocument();
    }
}
