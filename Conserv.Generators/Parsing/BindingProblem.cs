using Microsoft.CodeAnalysis;

namespace Conserv.Generators.Parsing;

/// <summary>One reason something could not be bound, for the analyzers to report. Never stored in a generator model.</summary>
/// <param name="Kind">What is wrong.</param>
/// <param name="Symbol">Where: the type, method or parameter that <paramref name="Kind"/> names.</param>
/// <param name="Attribute">The handler attribute involved, when there is one.</param>
/// <param name="Detail">A short detail for the message (a type name, the event), or null.</param>
internal readonly record struct BindingProblem(HandlerProblem Kind, ISymbol Symbol, AttributeData? Attribute, string? Detail);
