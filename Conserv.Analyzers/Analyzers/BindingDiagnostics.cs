using System.Linq;
using System.Threading;
using Conserv.Generators.Model;
using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Conserv.Analyzers;

/// <summary>Turns one of the binder's <see cref="BindingProblem"/>s into a diagnostic: where it is, and what the message says.</summary>
internal static class BindingDiagnostics
{
    public static Diagnostic? Create(DiagnosticDescriptor rule, BindingProblem problem, INamedTypeSymbol driver, KnownTypes known, CancellationToken cancellationToken)
    {
        ISymbol symbol = problem.Symbol;
        IMethodSymbol? method = symbol as IMethodSymbol ?? symbol.ContainingSymbol as IMethodSymbol;
        IParameterSymbol? parameter = symbol as IParameterSymbol;
        string attribute = Handlers.ShortName(problem.Attribute);
        string methodName = method?.Name ?? symbol.Name;
        DriverEvent? driverEvent = problem.Attribute is { } a && known.TryGetEvent(a, out DriverEvent e) ? e : null;

        switch (problem.Kind)
        {
            case HandlerProblem.NotPartial:
                // On the driver itself (a diagnostic of this symbol's analysis must stay inside its declaration),
                // also pointing at the containing type that lacks 'partial'.
                return Diagnostic.Create(
                    rule,
                    IdentifierLocation(driver),
                    SymbolEqualityComparer.Default.Equals(symbol, driver) ? null : new[] { IdentifierLocation(symbol) },
                    symbol.Name,
                    driver.ToDisplayString());

            case HandlerProblem.DriverNotClass:
                return Diagnostic.Create(rule, IdentifierLocation(symbol), DisplayName((INamedTypeSymbol)symbol, cancellationToken), Describe(((INamedTypeSymbol)symbol).TypeKind));

            case HandlerProblem.DriverIsStatic:
                return Diagnostic.Create(rule, IdentifierLocation(symbol), symbol.Name);

            case HandlerProblem.FileLocalDriver:
                return Diagnostic.Create(
                    rule,
                    IdentifierLocation(symbol),
                    "Driver",
                    symbol.ToDisplayString(),
                    problem.Detail,
                    "be a part of it",
                    "remove 'file' (a private nested or internal driver is hidden too)");

            case HandlerProblem.FileLocalExceptionType:
                return Diagnostic.Create(
                    rule,
                    AttributeArgumentLocation(problem.Attribute, cancellationToken) ?? IdentifierLocation(symbol),
                    "Exception type",
                    problem.Detail,
                    ExceptionTypeOf(problem.Attribute, known) is { } exception && DriverParser.FileLocalPart(exception) is { } local ? local.Name : problem.Detail,
                    "name it",
                    $"handler '{methodName}' is skipped; remove 'file' from the exception type (make it internal), or handle a type that is not file-local");

            case HandlerProblem.LanguageVersionTooOld:
                return Diagnostic.Create(
                    rule,
                    IdentifierLocation(symbol),
                    symbol.ToDisplayString(),
                    DriverParser.MinimumLanguageVersion.ToDisplayString(),
                    problem.Detail);

            case HandlerProblem.NotOrdinaryMethod:
            case HandlerProblem.GenericHandler:
            case HandlerProblem.AsyncVoid:
            case HandlerProblem.MissingDataParameter:
                return Diagnostic.Create(rule, IdentifierLocation(symbol), method?.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat) ?? methodName);

            case HandlerProblem.UnsupportedReturnType:
                return Diagnostic.Create(
                    rule,
                    ReturnTypeLocation(method, cancellationToken) ?? IdentifierLocation(symbol),
                    methodName,
                    problem.Detail,
                    attribute,
                    driverEvent?.IsVoidEvent() == true ? "void" : "void, ValueTask or Task");

            case HandlerProblem.UnbindableParameter:
                return Diagnostic.Create(
                    rule,
                    ParameterTypeLocation(parameter, cancellationToken),
                    symbol.Name,
                    methodName,
                    RefPrefix(parameter) + problem.Detail,
                    attribute,
                    driverEvent is { } ev ? EventParameters.Describe(ev, HandledExceptionDisplay(problem.Attribute, known)) : "see the attribute's documentation");

            case HandlerProblem.DuplicateParameter:
            case HandlerProblem.SpanInAsyncHandler:
                return Diagnostic.Create(
                    rule,
                    ParameterTypeLocation(parameter, cancellationToken),
                    problem.Kind == HandlerProblem.SpanInAsyncHandler ? methodName : symbol.Name,
                    problem.Kind == HandlerProblem.SpanInAsyncHandler ? parameter?.Type.ToDisplayString() : methodName,
                    parameter?.Type.ToDisplayString());

            case HandlerProblem.ParameterMustBeNullable:
                return Diagnostic.Create(
                    rule,
                    ParameterTypeLocation(parameter, cancellationToken),
                    symbol.Name,
                    methodName,
                    problem.Detail,
                    parameter is not null && SymbolEqualityComparer.Default.Equals(parameter.Type, known.TcpServer)
                        ? "a socket event of a client socket has no server"
                        : "the close cause is null for an orderly close");

            case HandlerProblem.ParameterNotAssignableFromExceptionType:
                return Diagnostic.Create(
                    rule,
                    ParameterTypeLocation(parameter, cancellationToken),
                    symbol.Name,
                    methodName,
                    parameter?.Type.ToDisplayString(),
                    problem.Detail);

            case HandlerProblem.ExceptionTypeNotException:
                return Diagnostic.Create(
                    rule,
                    AttributeArgumentLocation(problem.Attribute, cancellationToken) ?? IdentifierLocation(symbol),
                    attribute,
                    methodName,
                    ExceptionTypeOf(problem.Attribute, known) switch
                    {
                        null => "names no type (typeof is null): name System.Exception or a type derived from it",
                        var open when HandlerBinder.IsOpenGeneric(open) =>
                            $"names the open generic type '{open.ToDisplayString()}', but an exception always has a constructed type: name one (such as typeof({open.Name}<int>)), or a non-generic base of them",
                        _ => $"names '{problem.Detail}', which is not an Exception: name System.Exception or a type derived from it",
                    });

            case HandlerProblem.VarargsHandler:
            case HandlerProblem.ReservedName:
                return Diagnostic.Create(rule, IdentifierLocation(symbol), methodName, problem.Detail);

            case HandlerProblem.ObsoleteHandler:
                return Diagnostic.Create(rule, IdentifierLocation(symbol), methodName, problem.Detail is { Length: > 0 } message ? $" (\"{message}\")" : string.Empty);

            case HandlerProblem.HandWrittenEvent:
                return Diagnostic.Create(
                    rule,
                    AttributeLocation(problem.Attribute, cancellationToken) ?? IdentifierLocation(symbol),
                    problem.Other is { } written && written.Locations.FirstOrDefault(l => l.IsInSource) is { } at ? new[] { at } : null,
                    driver.Name,
                    problem.Detail,
                    attribute,
                    methodName,
                    problem.Other?.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat));

            case HandlerProblem.UnreachableBaseErrorMember:
                return Diagnostic.Create(
                    rule,
                    IdentifierLocation(driver),
                    problem.Other?.ContainingType?.Name,
                    problem.Detail,
                    driver.Name);

            case HandlerProblem.DuplicateHandler:
                return Diagnostic.Create(
                    rule,
                    AttributeLocation(problem.Attribute, cancellationToken) ?? IdentifierLocation(symbol),
                    methodName,
                    attribute,
                    driver.Name,
                    problem.Detail switch
                    {
                        "bytes" => "byte data",
                        "text" => "text data",
                        _ => "[" + attribute + "]",
                    },
                    problem.Other?.Name);

            case HandlerProblem.DuplicateErrorType:
                return Diagnostic.Create(
                    rule,
                    AttributeLocation(problem.Attribute, cancellationToken) ?? IdentifierLocation(symbol),
                    methodName,
                    ExceptionTypeOf(problem.Attribute, known)?.ToDisplayString() ?? "System.Exception",
                    attribute,
                    problem.Other?.Name,
                    driver.Name);

            case HandlerProblem.InvalidFraming:
            case HandlerProblem.InvalidDecoder:
                return Diagnostic.Create(
                    rule,
                    AttributeLocation(problem.Attribute, cancellationToken) ?? IdentifierLocation(symbol),
                    attribute,
                    methodName,
                    problem.Detail);

            case HandlerProblem.FramingConflict:
                return Diagnostic.Create(
                    rule,
                    AttributeLocation(problem.Attribute, cancellationToken) ?? IdentifierLocation(symbol),
                    methodName,
                    problem.Detail,
                    driver.Name);

            default:
                // A problem kind added to the binder that no descriptor covers yet: report it where it is, never drop it.
                return Diagnostic.Create(rule, IdentifierLocation(symbol), methodName);
        }
    }

    /// <summary>The exception type an error attribute names (its argument, or <c>System.Exception</c>).</summary>
    public static ITypeSymbol? ExceptionTypeOf(AttributeData? attribute, KnownTypes known)
    {
        if (attribute is null || !known.TryGetEvent(attribute, out DriverEvent e) || !e.IsError())
        {
            return null;
        }

        return attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as ITypeSymbol : known.Exception;
    }

    /// <summary>The handled exception type for messages, or null when the attribute names no exception type.</summary>
    private static string? HandledExceptionDisplay(AttributeData? attribute, KnownTypes known) =>
        ExceptionTypeOf(attribute, known) is { } type && HandlerBinder.InheritsFrom(type, known.Exception) ? type.ToDisplayString() : null;

    private static Location IdentifierLocation(ISymbol symbol) =>
        symbol.Locations.FirstOrDefault(l => l.IsInSource) ?? Location.None;

    private static Location ParameterTypeLocation(IParameterSymbol? parameter, CancellationToken cancellationToken)
    {
        if (parameter?.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is ParameterSyntax { Type: { } type })
        {
            return type.GetLocation();
        }

        return parameter is null ? Location.None : IdentifierLocation(parameter);
    }

    private static Location? ReturnTypeLocation(IMethodSymbol? method, CancellationToken cancellationToken) =>
        method?.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is MethodDeclarationSyntax declaration
            ? declaration.ReturnType.GetLocation()
            : null;

    private static Location? AttributeLocation(AttributeData? attribute, CancellationToken cancellationToken) =>
        attribute?.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();

    private static Location? AttributeArgumentLocation(AttributeData? attribute, CancellationToken cancellationToken) =>
        attribute?.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax { ArgumentList.Arguments: { Count: > 0 } arguments }
            ? arguments[0].Expression.GetLocation()
            : null;

    private static string RefPrefix(IParameterSymbol? parameter) => parameter?.RefKind switch
    {
        RefKind.Ref => "ref ",
        RefKind.Out => "out ",
        RefKind.In => "in ",
        _ => string.Empty,
    };

    /// <summary>What the type is, with its article: <c>a struct</c>, <c>an interface</c>, <c>an extension block</c>.</summary>
    private static string Describe(TypeKind kind) => kind switch
    {
        TypeKind.Struct => "a struct",
        TypeKind.Interface => "an interface",
        TypeKind.Enum => "an enum",
        TypeKind.Delegate => "a delegate",
        _ when kind.ToString() == "Extension" => "an extension block", // C# 14; TypeKind.Extension is not in the Roslyn the analyzers build against
        _ => "a " + kind.ToString().ToLowerInvariant(),
    };

    /// <summary>The type's name for a message; an extension block has none, so it is shown as declared: <c>extension(string s)</c>.</summary>
    private static string DisplayName(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        if (type.Name.Length > 0)
        {
            return type.Name;
        }

        return type.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration
            ? declaration.Keyword.ValueText + declaration.ParameterList?.WithoutTrivia().ToString()
            : type.ToDisplayString();
    }
}
