namespace Conserv.Generators;

/// <summary>Names of the generator's tracked steps, for incremental tests.</summary>
internal static class TrackingNames
{
    /// <summary>Prefix of the per-attribute steps (one per event): the drivers found through that attribute.</summary>
    public const string Handlers = "Conserv.Handlers.";

    /// <summary>All drivers, deduplicated and ordered by hint name.</summary>
    public const string Drivers = "Conserv.Drivers";

    /// <summary>One driver, before emission.</summary>
    public const string Driver = "Conserv.Driver";
}
