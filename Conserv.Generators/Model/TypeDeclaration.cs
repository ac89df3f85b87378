namespace Conserv.Generators.Model;

/// <summary>One type in a driver's chain of containing types.</summary>
/// <param name="Keyword">The declaration keyword: <c>class</c>, <c>struct</c>, <c>record</c>, <c>record struct</c> or <c>interface</c>.</param>
/// <param name="Name">The type's name as metadata spells it (no <c>@</c>; the emitter escapes keywords).</param>
/// <param name="TypeParameters">Its type parameter list, such as <c>&lt;T, @int&gt;</c> (keywords escaped), or empty.</param>
/// <param name="Arity">The number of type parameters.</param>
internal readonly record struct TypeDeclaration(string Keyword, string Name, string TypeParameters, int Arity);
