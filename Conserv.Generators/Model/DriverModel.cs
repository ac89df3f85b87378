using Conserv.Generators.Helpers;

namespace Conserv.Generators.Model;

/// <summary>Everything needed to emit one driver's generated part. Holds only strings, numbers and enums.</summary>
/// <param name="Hierarchy">Where the driver is declared.</param>
/// <param name="IsSealed">Whether the driver is sealed (then it exposes no trampolines to derived drivers).</param>
/// <param name="Handlers">The driver's own bound handlers, in declaration order.</param>
/// <param name="BaseErrorHandlers">Error handlers inherited from base drivers, each with its <see cref="HandlerModel.Level"/>.</param>
/// <param name="BaseFeatures">The socket features that base drivers handle.</param>
/// <param name="HandledHelper">The name of the private helper that turns a handler's task into the error member's result: <c>__ConservHandled</c>, or that with a number when the driver (or a base) already has a member of that name.</param>
/// <param name="HandWrittenFeatures">Whether the driver implements <c>ISocketEventDriver.Features</c> itself (then the generated part does not).</param>
/// <param name="SocketErrorFallback">Whether a hand-written base implements <c>ISocketEventDriver.OnSocketError</c> as a public method, which the error member calls when none of the chain's handlers match.</param>
/// <param name="ServerErrorFallback">The same for <c>IServerEventDriver.OnServerError</c>.</param>
internal sealed record DriverModel(
    HierarchyInfo Hierarchy,
    bool IsSealed,
    EquatableArray<HandlerModel> Handlers,
    EquatableArray<HandlerModel> BaseErrorHandlers,
    DriverFeatures BaseFeatures,
    string HandledHelper = DriverModel.DefaultHandledHelper,
    bool HandWrittenFeatures = false,
    bool SocketErrorFallback = false,
    bool ServerErrorFallback = false)
{
    /// <summary>The helper's name when nothing else in the driver has it.</summary>
    public const string DefaultHandledHelper = "__ConservHandled";
}
