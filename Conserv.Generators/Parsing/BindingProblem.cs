using Microsoft.CodeAnalysis;

namespace Conserv.Generators.Parsing;

/// <summary>One reason something could not be bound, for the analyzers to report. Never stored in a generator model.</summary>
/// <param name="Kind">What is wrong.</param>
/// <param name="Symbol">Where: the type, method or parameter that <paramref name="Kind"/> names.</param>
/// <param name="Attribute">The handler attribute involved, when there is one.</param>
/// <param name="Detail">
/// A short detail for the message, or null: a type name (an unbindable parameter's type, the attribute's exception type);
/// for <see cref="HandlerProblem.DuplicateHandler"/> of data handlers, the data slot taken (<c>bytes</c> or <c>text</c>);
/// for <see cref="HandlerProblem.DuplicateErrorType"/>, the exception type (fully qualified).
/// </param>
/// <param name="Other">For duplicates: the earlier handler the <paramref name="Symbol"/> duplicates.</param>
internal readonly record struct BindingProblem(HandlerProblem Kind, ISymbol Symbol, AttributeData? Attribute, string? Detail, ISymbol? Other = null);
