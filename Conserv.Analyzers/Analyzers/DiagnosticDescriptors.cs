using Microsoft.CodeAnalysis;

namespace Conserv.Analyzers;

/// <summary>Every diagnostic Conserv reports. Errors for what cannot work, warnings for what works badly.</summary>
internal static class DiagnosticDescriptors
{
    public const string UsageCategory = "Conserv.Usage";
    public const string PerformanceCategory = "Conserv.Performance";

    /// <summary>
    /// Where the help pages live: the project's canonical home, whose <c>docs/diagnostics/</c> folder is this
    /// repository's <c>docs/diagnostics/</c> (one <c>ID.md</c> per rule). In a clone, read them there.
    /// </summary>
    public const string HelpPagesRoot = "https://github.com/conserv-gen/conserv-gen/blob/main/docs/diagnostics/";

    public static readonly DiagnosticDescriptor NotPartial = Error(
        DiagnosticIds.NotPartial,
        "Driver types must be partial",
        "'{0}' must be declared partial: the generator implements the driver '{1}' in a second part of it");

    public static readonly DiagnosticDescriptor UnbindableParameter = Error(
        DiagnosticIds.UnbindableParameter,
        "Handler parameter cannot be bound",
        "Parameter '{0}' of handler '{1}' is '{2}', which the [{3}] event cannot supply; allowed parameters, in any order: {4}");

    public static readonly DiagnosticDescriptor ExceptionTypeNotException = Error(
        DiagnosticIds.ExceptionTypeNotException,
        "Error handler type must be an Exception",
        "[{0}] on '{1}' {2}");

    public static readonly DiagnosticDescriptor ParameterNotAssignableFromExceptionType = Error(
        DiagnosticIds.ParameterNotAssignableFromExceptionType,
        "Exception parameter cannot receive the handled exception",
        "Parameter '{0}' of '{1}' is '{2}', but the handler receives any '{3}', which is not always a '{2}': declare the parameter as '{3}' (or a base of it), or change the attribute to typeof({2})");

    public static readonly DiagnosticDescriptor DuplicateHandler = Error(
        DiagnosticIds.DuplicateHandler,
        "One handler per event in a driver",
        "'{0}' is a second [{1}] handler in '{2}', which already has a {3} handler '{4}': a driver has one handler per event (for data, one byte and one text handler), so neither is bound; remove one");

    public static readonly DiagnosticDescriptor DuplicateErrorType = Error(
        DiagnosticIds.DuplicateErrorType,
        "One error handler per exception type in a driver",
        "'{0}' handles '{1}' in [{2}], as '{3}' already does in '{4}': neither is bound; remove one, or specialize it on another exception type");

    public static readonly DiagnosticDescriptor AsyncVoid = Error(
        DiagnosticIds.AsyncVoid,
        "Handlers must not be async void",
        "Handler '{0}' is async void: the event loop cannot await it or see its exceptions; return ValueTask (or Task) instead");

    public static readonly DiagnosticDescriptor DropConnectionOutsideErrorHandler = Error(
        DiagnosticIds.DropConnectionOutsideErrorHandler,
        "DropConnection outside an [OnSocketError] handler",
        "'{0}' is not an [OnSocketError] handler, so SocketEvents.DropConnection throws InvalidOperationException there: call it from an [OnSocketError] handler, or call socket.Abort() to drop a connection elsewhere");

    public static readonly DiagnosticDescriptor BlockingCall = new(
        DiagnosticIds.BlockingCall,
        "Blocking call in a handler",
        "Handler '{0}' calls '{1}', which blocks the event loop thread: every socket on the loop stalls until it returns; {2}",
        PerformanceCategory,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Every event of every socket on a loop runs on the loop's one thread. A handler that blocks stalls them all.",
        helpLinkUri: HelpPagesRoot + DiagnosticIds.BlockingCall + ".md");

    public static readonly DiagnosticDescriptor DriverNotClass = Error(
        DiagnosticIds.DriverNotClass,
        "Handlers must be declared in a class",
        "'{0}' is {1}, but drivers are classes: declare its handlers in a partial class");

    public static readonly DiagnosticDescriptor FileLocalType = Error(
        DiagnosticIds.FileLocalType,
        "Generated code cannot use a file-local type",
        "{0} '{1}' is file-local ('{2}' is declared 'file'), and the generated driver code is another file, which cannot {3}: so it is not generated; {4}");

    public static readonly DiagnosticDescriptor LanguageVersionTooOld = Error(
        DiagnosticIds.LanguageVersionTooOld,
        "C# version too old for the generated driver code",
        "The generated part of driver '{0}' needs C# {1} or later (#nullable enable, nullable annotations, a static local function), but this project compiles C# {2}, so nothing is generated: set <LangVersion> to {1} or later, or remove it to use the SDK's default");

    public static readonly DiagnosticDescriptor DriverIsStatic = Error(
        DiagnosticIds.DriverIsStatic,
        "Driver class must not be static",
        "'{0}' is static, but a driver is an instance given to TcpServer.Listen or TcpSocket.Connect: remove 'static'");

    public static readonly DiagnosticDescriptor NotOrdinaryMethod = Error(
        DiagnosticIds.NotOrdinaryMethod,
        "Handler must be an ordinary method",
        "'{0}' cannot be a handler: only ordinary methods can (not local functions, lambdas, accessors, operators, constructors or explicit interface implementations); move the code into a method");

    public static readonly DiagnosticDescriptor GenericHandler = Error(
        DiagnosticIds.GenericHandler,
        "Handler must not be generic",
        "Handler '{0}' has type parameters, which the generator cannot choose: remove them");

    public static readonly DiagnosticDescriptor DuplicateParameter = Error(
        DiagnosticIds.DuplicateParameter,
        "Two handler parameters bind the same value",
        "Parameter '{0}' of handler '{1}' ('{2}') binds the same value as an earlier parameter: remove one");

    public static readonly DiagnosticDescriptor MissingDataParameter = Error(
        DiagnosticIds.MissingDataParameter,
        "Data handler has no data parameter",
        "Data handler '{0}' takes no data: add a ReadOnlySpan<byte>, ReadOnlyMemory<byte>, byte[] or ArraySegment<byte> parameter for bytes, or a string, ReadOnlySpan<char> or ReadOnlyMemory<char> parameter for text");

    public static readonly DiagnosticDescriptor ParameterMustBeNullable = Error(
        DiagnosticIds.ParameterMustBeNullable,
        "Handler parameter may receive null",
        "Parameter '{0}' of handler '{1}' may receive null ({3}): declare it '{2}?'");

    public static readonly DiagnosticDescriptor UnsupportedReturnType = Error(
        DiagnosticIds.UnsupportedReturnType,
        "Handler return type not supported",
        "Handler '{0}' returns '{1}': a [{2}] handler returns {3}");

    public static readonly DiagnosticDescriptor SpanInAsyncHandler = Error(
        DiagnosticIds.SpanInAsyncHandler,
        "Async handler takes a span",
        "Async handler '{0}' takes '{1}', a span, which async methods cannot hold: take ReadOnlyMemory<...> instead, or make the handler synchronous");

    public static readonly DiagnosticDescriptor DropConnectionAfterAwait = new(
        DiagnosticIds.DropConnectionAfterAwait,
        "DropConnection after an await",
        "'{0}' calls SocketEvents.DropConnection after an await, where it throws InvalidOperationException: it works only before the handler's first await; call it earlier, or call socket.Abort()",
        UsageCategory,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "SocketEvents.DropConnection acts on the error being dispatched, which ends at the handler's first await.",
        helpLinkUri: HelpPagesRoot + DiagnosticIds.DropConnectionAfterAwait + ".md");

    public static readonly DiagnosticDescriptor VarargsHandler = Error(
        DiagnosticIds.VarargsHandler,
        "Handler must not take __arglist",
        "Handler '{0}' takes __arglist, which the generated call cannot supply, so it is not bound: remove __arglist and take what the event supplies as ordinary parameters");

    public static readonly DiagnosticDescriptor ObsoleteHandler = Error(
        DiagnosticIds.ObsoleteHandler,
        "Handler is obsolete as an error",
        "Handler '{0}' is [Obsolete(..., true)]{1}: calling it is an error, so the generated part cannot call it and it is not bound; remove the handler attribute to retire the handler, or make the obsolescence a warning (the generated call reports none)");

    public static readonly DiagnosticDescriptor ReservedName = Error(
        DiagnosticIds.ReservedName,
        "Handler name uses the generator's reserved prefix",
        "Handler '{0}' starts with '{1}', the prefix of the generated part's own members, so it is not bound: rename it");

    public static readonly DiagnosticDescriptor HandWrittenEvent = Error(
        DiagnosticIds.HandWrittenEvent,
        "Event implemented both by hand and by a handler",
        "'{0}' implements {1} itself, and the [{2}] handler '{3}' would be a second implementation, so the handler is not bound: remove the hand-written '{4}' or the handler");

    public static readonly DiagnosticDescriptor UnreachableBaseErrorMember = new(
        DiagnosticIds.UnreachableBaseErrorMember,
        "Base driver's explicit error member cannot be called",
        "Base '{0}' implements {1} explicitly, which the generated error member of '{2}' cannot call: an error none of the chain's handlers take is reported unhandled instead of reaching '{0}'; implement it in '{0}' as a public method, which the generated part calls last",
        UsageCategory,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A derived driver's generated error member calls a hand-written base's public error member when none of its handlers match. C# cannot call a base class's explicit interface implementation.",
        helpLinkUri: HelpPagesRoot + DiagnosticIds.UnreachableBaseErrorMember + ".md");

    public static readonly DiagnosticDescriptor InvalidFraming = Error(
        DiagnosticIds.InvalidFraming,
        "Framing settings are invalid",
        "[{0}] on '{1}': {2}");

    public static readonly DiagnosticDescriptor InvalidDecoder = Error(
        DiagnosticIds.InvalidDecoder,
        "Decoder type cannot be used",
        "[{0}] on '{1}': {2}; a decoder is a class or struct implementing IFrameDecoder<TFrame> once, with a public parameterless constructor");

    public static readonly DiagnosticDescriptor FramingConflict = Error(
        DiagnosticIds.FramingConflict,
        "Handlers disagree on framing",
        "'{0}' is framed differently from '{1}' in '{2}': a driver cuts its input one way, so its data and frame handlers must all be raw ([OnSocketData]) or all have the same framing");

    private static DiagnosticDescriptor Error(string id, string title, string message) => new(
        id,
        title,
        message,
        UsageCategory,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpPagesRoot + id + ".md");
}
