using System;
using Microsoft.Extensions.Logging;

namespace Conserv;

/// <summary>
/// The runtime's log events (<see cref="EventLoopOptions.LoggerFactory"/>). Event ids are stable: 100–199 for servers,
/// 200–299 for connections (Conserv.Hosting uses 1–99). None is raised per read or write.
/// </summary>
internal static partial class RuntimeLog
{
    public const string ServerCategory = "Conserv.Server";
    public const string ConnectionCategory = "Conserv.Connection";

    [LoggerMessage(EventId = 100, EventName = "Listening", Level = LogLevel.Information, Message = "Listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 101, EventName = "ServerClosed", Level = LogLevel.Information, Message = "{Endpoint} closed")]
    public static partial void ServerClosed(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 102, EventName = "ConnectionRejected", Level = LogLevel.Information,
        Message = "{Endpoint} turned a client away ({Reason})")]
    public static partial void ConnectionRejected(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 103, EventName = "AcceptFailed", Level = LogLevel.Warning,
        Message = "{Endpoint} could not accept ({Reason}); accepting pauses for {RetryMs} ms and resumes by itself")]
    public static partial void AcceptFailed(ILogger logger, string endpoint, string reason, double retryMs);

    [LoggerMessage(EventId = 104, EventName = "HandlerFailed", Level = LogLevel.Error, Message = "An exception no handler took, on {Where}")]
    public static partial void HandlerFailed(ILogger logger, string where, Exception exception);

    [LoggerMessage(EventId = 200, EventName = "ConnectionOpened", Level = LogLevel.Debug, Message = "{Connection} opened")]
    public static partial void ConnectionOpened(ILogger logger, string connection);

    [LoggerMessage(EventId = 201, EventName = "ConnectionClosed", Level = LogLevel.Debug, Message = "{Connection} closed")]
    public static partial void ConnectionClosed(ILogger logger, string connection);

    [LoggerMessage(EventId = 202, EventName = "ConnectionClosedByError", Level = LogLevel.Information,
        Message = "{Connection} closed by {ErrorType}: {ErrorMessage}")]
    public static partial void ConnectionClosedByError(ILogger logger, string connection, string errorType, string errorMessage);

    [LoggerMessage(EventId = 203, EventName = "ErrorHandled", Level = LogLevel.Debug, Message = "{Connection}: the driver handled {ErrorType}")]
    public static partial void ErrorHandled(ILogger logger, string connection, string errorType, Exception exception);

    [LoggerMessage(EventId = 204, EventName = "ErrorDropped", Level = LogLevel.Information,
        Message = "{Connection}: {ErrorType} dropped the connection (no handler took it, or the handler asked to drop)")]
    public static partial void ErrorDropped(ILogger logger, string connection, string errorType, Exception exception);

    [LoggerMessage(EventId = 205, EventName = "TimedOut", Level = LogLevel.Information, Message = "{Connection}: {Kind} time-out")]
    public static partial void TimedOut(ILogger logger, string connection, string kind);

    [LoggerMessage(EventId = 206, EventName = "OutputOverflow", Level = LogLevel.Warning,
        Message = "{Connection}: output limit reached ({Queued} bytes queued, a write of {Length} refused)")]
    public static partial void OutputOverflow(ILogger logger, string connection, long queued, long length);
}
