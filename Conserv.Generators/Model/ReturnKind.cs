namespace Conserv.Generators.Model;

/// <summary>What a handler returns.</summary>
internal enum ReturnKind
{
    Void,
    ValueTask,
    Task,
}
