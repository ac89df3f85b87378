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

/// <summary>
/// CONSERV004: makes the exception parameter the attribute's type (when the handler still compiles with it) or, alternatively,
/// the attribute name the parameter's type.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ExceptionParameterCodeFixProvider)), Shared]
public sealed class ExceptionParameterCodeFixProvider : CodeFixProvider
{
    private const string ParameterKey = nameof(ExceptionParameterCodeFixProvider) + ".Parameter";
    private const string AttributeKey = nameof(ExceptionParameterCodeFixProvider) + ".Attribute";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ParameterNotAssignableFromExceptionType);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        Document document = context.Document;
        SyntaxNode? root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null
            || root.FindNode(context.Span, getInnermostNodeForTie: true).FirstAncestorOrSelf<ParameterSyntax>() is not { Type: { } parameterType } parameter
            || parameter.FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { } method
            || FindErrorAttribute(method, model, context.CancellationToken) is not { } found)
        {
            return;
        }

        (AttributeSyntax attribute, ITypeSymbol exceptionType) = found;
        Diagnostic diagnostic = context.Diagnostics[0];
        string exceptionName = exceptionType.ToMinimalDisplayString(model, parameterType.SpanStart);
        TypeSyntax bare = parameterType is NullableTypeSyntax nullable ? nullable.ElementType : parameterType;

        // Offered only when the body still compiles with the parameter's new type: it may use members the
        // attribute's type lacks (e.SocketErrorCode on an IOException, CS1061), or pass it where the old type is needed.
        Document changed = await ChangeParameterAsync(document, parameterType, exceptionType, context.CancellationToken).ConfigureAwait(false);
        if (await FixSafety.AddsNoErrorAsync(document, changed, null, context.CancellationToken).ConfigureAwait(false))
        {
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Declare '{parameter.Identifier.ValueText}' as '{exceptionName}'",
                    c => ChangeParameterAsync(document, parameterType, exceptionType, c),
                    ParameterKey),
                diagnostic);
        }

        context.RegisterCodeFix(
            CodeAction.Create(
                $"Handle '{bare.WithoutTrivia()}' in the attribute",
                c => ChangeAttributeAsync(document, attribute, bare, c),
                AttributeKey),
            diagnostic);
    }

    private static (AttributeSyntax Attribute, ITypeSymbol ExceptionType)? FindErrorAttribute(MethodDeclarationSyntax method, SemanticModel model, CancellationToken cancellationToken)
    {
        foreach (AttributeSyntax attribute in method.AttributeLists.SelectMany(l => l.Attributes))
        {
            if (model.GetSymbolInfo(attribute, cancellationToken).Symbol is IMethodSymbol { ContainingType: { } type }
                && type.ContainingNamespace?.Name == "Conserv"
                && type.Name is "OnSocketErrorAttribute" or "OnServerErrorAttribute")
            {
                ITypeSymbol? exceptionType = attribute.ArgumentList?.Arguments.FirstOrDefault()?.Expression is TypeOfExpressionSyntax typeOf
                    ? model.GetTypeInfo(typeOf.Type, cancellationToken).Type
                    : model.Compilation.GetTypeByMetadataName("System.Exception");
                return exceptionType is null ? null : (attribute, exceptionType);
            }
        }

        return null;
    }

    private static async Task<Document> ChangeParameterAsync(Document document, TypeSyntax parameterType, ITypeSymbol exceptionType, CancellationToken cancellationToken)
    {
        DocumentEditor editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var type = (TypeSyntax)editor.Generator.TypeExpression(exceptionType);
        if (parameterType is NullableTypeSyntax)
        {
            type = SyntaxFactory.NullableType(type);
        }

        editor.ReplaceNode(parameterType, type.WithTriviaFrom(parameterType).WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation));
        Document changed = editor.GetChangedDocument();
        changed = await ImportAdder.AddImportsAsync(changed, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await Simplifier.ReduceAsync(changed, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Document> ChangeAttributeAsync(Document document, AttributeSyntax attribute, TypeSyntax parameterType, CancellationToken cancellationToken)
    {
        DocumentEditor editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        AttributeArgumentSyntax argument = SyntaxFactory.AttributeArgument(SyntaxFactory.TypeOfExpression(parameterType.WithoutTrivia()));
        AttributeSyntax changed = attribute.ArgumentList is { Arguments.Count: > 0 } arguments
            ? attribute.WithArgumentList(arguments.WithArguments(arguments.Arguments.Replace(arguments.Arguments[0], argument)))
            : attribute.WithArgumentList(SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(argument)));
        editor.ReplaceNode(attribute, changed);
        return editor.GetChangedDocument();
    }
}
