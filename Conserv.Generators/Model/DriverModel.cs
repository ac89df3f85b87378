using Conserv.Generators.Helpers;

namespace Conserv.Generators.Model;

/// <summary>Everything needed to emit one driver's generated part. Holds only strings, numbers and enums.</summary>
/// <param name="Hierarchy">Where the driver is declared.</param>
/// <param name="IsSealed">Whether the driver is sealed (then it exposes no trampolines to derived drivers).</param>
/// <param name="Handlers">The driver's own bound handlers, in declaration order.</param>
/// <param name="BaseErrorHandlers">Error handlers inherited from base drivers, each with its <see cref="HandlerModel.Level"/>.</param>
/// <param name="BaseFeatures">The socket features that base drivers handle.</param>
internal sealed record DriverModel(
    HierarchyInfo Hierarchy,
    bool IsSealed,
    EquatableArray<HandlerModel> Handlers,
    EquatableArray<HandlerModel> BaseErrorHandlers,
    DriverFeatures BaseFeatures);
