namespace Conserv.Generators.Parsing;

/// <summary>
/// Why a handler (or a driver) cannot be bound. The generator skips what has a problem and reports nothing;
/// the analyzers turn each problem into a diagnostic. One place decides, so the two never disagree.
/// </summary>
internal enum HandlerProblem
{
    /// <summary>The driver, or a type containing it, is not <c>partial</c>. Symbol: that type.</summary>
    NotPartial,

    /// <summary>The handler is declared in a struct, interface or enum: drivers are classes. Symbol: the type.</summary>
    DriverNotClass,

    /// <summary>The handler is declared in a <c>static</c> class, which cannot be instantiated as a driver. Symbol: the type.</summary>
    DriverIsStatic,

    /// <summary>
    /// The attributed method is an accessor, operator, constructor or explicit implementation. Symbol: the method.
    /// Local functions and lambdas are not members of a type, so the parser never sees them; the analyzer reports
    /// them under the same rule (CONSERV012) from their operations, and the generator ignores them.
    /// </summary>
    NotOrdinaryMethod,

    /// <summary>The handler has type parameters. Symbol: the method.</summary>
    GenericHandler,

    /// <summary>A parameter's type cannot be bound for this event, or it is <c>ref</c>/<c>out</c>/<c>in</c>. Symbol: the parameter.</summary>
    UnbindableParameter,

    /// <summary>Two parameters bind to the same thing (two sockets, two data parameters, two exceptions). Symbol: the second parameter.</summary>
    DuplicateParameter,

    /// <summary>A data handler has no data parameter, so it is neither a byte nor a text handler. Symbol: the method.</summary>
    MissingDataParameter,

    /// <summary>A parameter that may receive null (<c>TcpServer</c> on a socket event, the close cause) is not declared nullable. Symbol: the parameter.</summary>
    ParameterMustBeNullable,

    /// <summary>The error attribute's type is not an <c>Exception</c>. Symbol: the method; the attribute is given.</summary>
    ExceptionTypeNotException,

    /// <summary>The exception parameter's type is an exception the attribute's type cannot be assigned to. Symbol: the parameter.</summary>
    ParameterNotAssignableFromExceptionType,

    /// <summary>The handler returns something other than <c>void</c>, <c>ValueTask</c> or <c>Task</c> (close handlers: only <c>void</c>). Symbol: the method.</summary>
    UnsupportedReturnType,

    /// <summary>The handler is <c>async void</c>: its exceptions and completion would be lost. Symbol: the method.</summary>
    AsyncVoid,

    /// <summary>An <c>async</c> handler takes a span, which an async method cannot. Symbol: the parameter.</summary>
    SpanInAsyncHandler,

    /// <summary>Another handler of the same class handles the same event (or the same data kind). Symbol: the later method.</summary>
    DuplicateHandler,

    /// <summary>Another error handler of the same class handles the same exception type. Symbol: the later method.</summary>
    DuplicateErrorType,

    /// <summary>
    /// The driver, or a type containing it, is a <c>file</c>-local type: the generated part is another file, which
    /// cannot be part of it or name it. Symbol: the driver; detail: the file-local type.
    /// </summary>
    FileLocalDriver,

    /// <summary>The error attribute names a <c>file</c>-local exception type (or one nested in a file-local type), which the generated file cannot name. Symbol: the method; the attribute is given; detail: the type.</summary>
    FileLocalExceptionType,

    /// <summary>The compilation's C# version is below what the generated code needs (<see cref="DriverParser.MinimumLanguageVersion"/>). Symbol: the driver; detail: the version.</summary>
    LanguageVersionTooOld,

    /// <summary>The handler takes <c>__arglist</c>, which the generated call cannot supply (it would not compile, CS7036). Symbol: the method.</summary>
    VarargsHandler,

    /// <summary>
    /// The handler is <c>[Obsolete(message, true)]</c>: calling it is a compile error (CS0619) that no <c>#pragma</c> can
    /// silence, so the generated part cannot call it. Symbol: the method; detail: the obsolete message, or null.
    /// </summary>
    ObsoleteHandler,

    /// <summary>The handler's name starts with <c>__Conserv</c>, the prefix of the generated part's own members. Symbol: the method.</summary>
    ReservedName,

    /// <summary>
    /// The driver implements the interface member this handler would implement (<c>ISocketEventDriver.OnSocketData</c>, …)
    /// itself, so the generated part cannot implement it again. Symbol: the handler; other: the hand-written member;
    /// detail: the interface member, as <c>ISocketEventDriver.OnSocketData</c>.
    /// </summary>
    HandWrittenEvent,

    /// <summary>
    /// A base class implements the error member (<c>ISocketEventDriver.OnSocketError</c> or <c>IServerEventDriver.OnServerError</c>)
    /// by hand and explicitly, so the driver's generated error member cannot fall back to it when none of its handlers match.
    /// Symbol: the driver; other: the base's explicit implementation; detail: the interface member.
    /// </summary>
    UnreachableBaseErrorMember,
    /// <summary>
    /// A framing attribute's settings are invalid: no or several framings, a length prefix other than 1, 2, 4 or 8, a
    /// maximum length below 1, an empty delimiter or one with characters above U+00FF, an undefined enum value. Symbol:
    /// the method; the attribute is given; detail: what is wrong.
    /// </summary>
    InvalidFraming,

    /// <summary>
    /// A decoder type cannot serve: not a class or struct implementing <c>IFrameDecoder&lt;TFrame&gt;</c> exactly once, abstract,
    /// open generic, or without a public parameterless constructor. Symbol: the method; the attribute is given; detail: what is wrong.
    /// </summary>
    InvalidDecoder,

    /// <summary>
    /// Handlers of one driver disagree on framing: a raw <c>[OnSocketData]</c> beside a framed handler, or two framed
    /// handlers with different settings. Symbol: the later method; detail: the earlier method's name.
    /// </summary>
    FramingConflict,
}
