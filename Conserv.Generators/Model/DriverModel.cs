using Conserv.Generators.Helpers;

namespace Conserv.Generators.Model;

/// <summary>Everything needed to emit one driver's generated part. Holds only strings, numbers and enums.</summary>
/// <param name="Hierarchy">Where the driver is declared.</param>
/// <param name="IsSealed">Whether the driver is sealed (then it exposes nothing to derived drivers).</param>
/// <param name="Depth">The number of base classes the driver has (<c>object</c> included): the number in the names of the members it exposes to derived drivers, so names never collide along a chain.</param>
/// <param name="Handlers">The driver's own bound handlers, in declaration order.</param>
/// <param name="BaseFeatures">The socket features that base drivers handle.</param>
/// <param name="BaseSocketError">The socket error dispatch of the nearest base driver that has socket error handlers (<c>__Conserv1_SocketError</c>), which the driver's own error chain consults; null when no base has one.</param>
/// <param name="BaseServerError">The same for server errors.</param>
/// <param name="HandledHelper">The name of the private helper that turns a handler's task into the error member's result: <c>__ConservHandled</c>, or that with a number when the driver (or a base) already has a member of that name.</param>
/// <param name="HandWrittenFeatures">Whether the driver implements <c>ISocketEventDriver.Features</c> itself (then the generated part does not).</param>
/// <param name="SocketErrorFallback">Whether a hand-written base implements <c>ISocketEventDriver.OnSocketError</c> as a public method, which the error member calls when none of the chain's handlers match.</param>
/// <param name="ServerErrorFallback">The same for <c>IServerEventDriver.OnServerError</c>.</param>
internal sealed record DriverModel(
    HierarchyInfo Hierarchy,
    bool IsSealed,
    int Depth,
    EquatableArray<HandlerModel> Handlers,
    DriverFeatures BaseFeatures,
    string? BaseSocketError = null,
    string? BaseServerError = null,
    string HandledHelper = DriverModel.DefaultHandledHelper,
    bool HandWrittenFeatures = false,
    bool SocketErrorFallback = false,
    bool ServerErrorFallback = false)
{
    /// <summary>The helper's name when nothing else in the driver has it.</summary>
    public const string DefaultHandledHelper = "__ConservHandled";

    /// <summary>Prefix of every member the generated part declares (and so reserved: a handler may not start with it).</summary>
    public const string GeneratedPrefix = "__Conserv";

    /// <summary>
    /// The protected error dispatch a non-sealed driver at <paramref name="depth"/> exposes for <paramref name="errorEvent"/>:
    /// <c>__Conserv1_SocketError(socket, error, depth)</c> runs the driver's (and its bases') handler for the most derived
    /// exception type at least <c>depth</c> classes below <c>System.Exception</c> that the error is, or returns null.
    /// </summary>
    public static string DispatchName(int depth, DriverEvent errorEvent) =>
        GeneratedPrefix + depth.ToString(System.Globalization.CultureInfo.InvariantCulture) + "_" + errorEvent;

    /// <summary>
    /// The protected constant a non-sealed driver at <paramref name="depth"/> exposes with the socket features of its own
    /// handlers, so that a derived driver in another assembly can add them to its <c>Features</c>.
    /// </summary>
    public static string FeaturesName(int depth) =>
        GeneratedPrefix + depth.ToString(System.Globalization.CultureInfo.InvariantCulture) + "_Features";
}
