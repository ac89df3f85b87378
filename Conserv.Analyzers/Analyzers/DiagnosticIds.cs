namespace Conserv.Analyzers;

/// <summary>The stable IDs of Conserv's diagnostics. Never renumber: users suppress them by ID.</summary>
internal static class DiagnosticIds
{
    public const string NotPartial = "CONSERV001";
    public const string UnbindableParameter = "CONSERV002";
    public const string ExceptionTypeNotException = "CONSERV003";
    public const string ParameterNotAssignableFromExceptionType = "CONSERV004";
    public const string DuplicateHandler = "CONSERV005";
    public const string DuplicateErrorType = "CONSERV006";
    public const string AsyncVoid = "CONSERV007";
    public const string DropConnectionOutsideErrorHandler = "CONSERV008";
    public const string BlockingCall = "CONSERV009";
    public const string DriverNotClass = "CONSERV010";
    public const string DriverIsStatic = "CONSERV011";
    public const string NotOrdinaryMethod = "CONSERV012";
    public const string GenericHandler = "CONSERV013";
    public const string DuplicateParameter = "CONSERV014";
    public const string MissingDataParameter = "CONSERV015";
    public const string ParameterMustBeNullable = "CONSERV016";
    public const string UnsupportedReturnType = "CONSERV017";
    public const string SpanInAsyncHandler = "CONSERV018";
    public const string DropConnectionAfterAwait = "CONSERV019";
    public const string FileLocalType = "CONSERV020";
    public const string LanguageVersionTooOld = "CONSERV021";
    public const string VarargsHandler = "CONSERV022";
    public const string ObsoleteHandler = "CONSERV023";
    public const string ReservedName = "CONSERV024";
    public const string HandWrittenEvent = "CONSERV025";
    public const string UnreachableBaseErrorMember = "CONSERV026";

    // Framing (30-39).
    public const string InvalidFraming = "CONSERV030";
    public const string InvalidDecoder = "CONSERV031";
    public const string FramingConflict = "CONSERV032";
}
