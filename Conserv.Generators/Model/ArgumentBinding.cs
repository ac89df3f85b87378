namespace Conserv.Generators.Model;

/// <summary>One handler parameter and what is bound to it.</summary>
/// <param name="Kind">What the generated code passes.</param>
/// <param name="TypeName">The parameter's fully qualified type (used to cast the exception).</param>
internal readonly record struct ArgumentBinding(ArgumentKind Kind, string TypeName);
