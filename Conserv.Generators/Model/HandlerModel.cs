using Conserv.Generators.Helpers;

namespace Conserv.Generators.Model;

/// <summary>One bound handler method.</summary>
/// <param name="Event">The event it handles.</param>
/// <param name="MethodName">The method's name as metadata spells it (no <c>@</c>; the emitter escapes keywords).</param>
/// <param name="IsStatic">Whether the method is static.</param>
/// <param name="Return">What it returns.</param>
/// <param name="Arguments">Its parameters, in order, and what is bound to each.</param>
/// <param name="Data">The data slot it fills (data handlers only).</param>
/// <param name="ExceptionType">For error handlers, the fully qualified exception type it specializes on; otherwise null.</param>
/// <param name="ExceptionDepth">For error handlers, the number of base classes between the exception type and <c>System.Exception</c>.</param>
/// <param name="Framing">For a framed data handler (<c>[OnSocketLine]</c>, <c>[OnSocketFrame]</c>): how the input is cut; otherwise null.</param>
/// <param name="AtLowWaterMark">For an output-empty handler: <c>[OnSocketOutputEmpty(AtLowWaterMark = true)]</c>.</param>
internal sealed record HandlerModel(
    DriverEvent Event,
    string MethodName,
    bool IsStatic,
    ReturnKind Return,
    EquatableArray<ArgumentBinding> Arguments,
    DataKind Data,
    string? ExceptionType,
    int ExceptionDepth,
    FramingModel? Framing = null,
    bool AtLowWaterMark = false);
