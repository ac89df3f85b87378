namespace Conserv.Generators.Model;

/// <summary>Which data slot a data handler fills: one byte handler and one text handler per class.</summary>
internal enum DataKind
{
    None,
    Bytes,
    Text,
}
