using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;

namespace Conserv.Analyzers.CodeFixes;

/// <summary>CONSERV007: turns an <c>async void</c> handler into an <c>async ValueTask</c> one.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AsyncVoidCodeFixProvider)), Shared]
public sealed class AsyncVoidCodeFixProvider : CodeFixProvider
{
    private const string Title = "Return ValueTask";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.AsyncVoid);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => DocumentFixAll.Create(FixAsync);

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(context.Span).FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { } method
            || model is null
            || IsCloseHandler(method, model, context.CancellationToken))
        {
            return; // close events are void: a close handler cannot be async at all
        }

        // Not offered when the change breaks other code: the method used as an Action (CS0407), or overriding a void method.
        Document changed = await FixAsync(context.Document, context.Diagnostics, context.CancellationToken).ConfigureAwait(false);
        if (model.GetDeclaredSymbol(method, context.CancellationToken) is not { } symbol
            || !await FixSafety.AddsNoErrorAsync(context.Document, changed, symbol, context.CancellationToken).ConfigureAwait(false))
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                CodeAction.Create(Title, c => FixAsync(context.Document, ImmutableArray.Create(diagnostic), c), nameof(AsyncVoidCodeFixProvider)),
                diagnostic);
        }
    }

    /// <summary>Whether the method has a close attribute, however it is spelled (an alias such as <c>using Closing = Conserv.OnSocketCloseAttribute;</c>).</summary>
    private static bool IsCloseHandler(MethodDeclarationSyntax method, SemanticModel model, CancellationToken cancellationToken) =>
        method.AttributeLists.SelectMany(l => l.Attributes).Any(a =>
            model.GetSymbolInfo(a, cancellationToken).Symbol is IMethodSymbol { ContainingType: { ContainingNamespace.Name: "Conserv", Name: "OnSocketCloseAttribute" or "OnServerCloseAttribute" } });

    private static async Task<Document> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        DocumentEditor editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var methods = new HashSet<MethodDeclarationSyntax>();
        foreach (Diagnostic diagnostic in diagnostics)
        {
            if (editor.OriginalRoot.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<MethodDeclarationSyntax>() is { } method
                && method.ReturnType is PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword }
                && !IsCloseHandler(method, editor.SemanticModel, cancellationToken))
            {
                methods.Add(method);
            }
        }

        foreach (MethodDeclarationSyntax method in methods)
        {
            TypeSyntax valueTask = SyntaxFactory.ParseTypeName("global::System.Threading.Tasks.ValueTask")
                .WithTriviaFrom(method.ReturnType)
                .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
            editor.ReplaceNode(method.ReturnType, valueTask);
        }

        Document changed = editor.GetChangedDocument();
        changed = await ImportAdder.AddImportsAsync(changed, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await Simplifier.ReduceAsync(changed, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
