using System;
using Microsoft.Extensions.Logging;

namespace Conserv.Hosting;

/// <summary>
/// What the hosting layer logs, under the category <c>Conserv.Hosting</c>. Event ids are stable: filter and alert
/// on them. Nothing is logged per data event.
/// </summary>
internal static partial class HostingLog
{
    /// <summary>The logging category.</summary>
    public const string Category = "Conserv.Hosting";

    [LoggerMessage(EventId = 1, EventName = "ServerListening", Level = LogLevel.Information,
        Message = "Conserv server {ServerName} listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, string serverName, string endpoint);

    [LoggerMessage(EventId = 2, EventName = "ServerStopping", Level = LogLevel.Information,
        Message = "Conserv server {ServerName} stopping: {ClientCount} connections get up to {DrainTimeout} to finish")]
    public static partial void Stopping(ILogger logger, string serverName, int clientCount, TimeSpan drainTimeout);

    [LoggerMessage(EventId = 3, EventName = "ServerClosed", Level = LogLevel.Information,
        Message = "Conserv server {ServerName} closed on {Endpoint}")]
    public static partial void Closed(ILogger logger, string serverName, string endpoint);

    [LoggerMessage(EventId = 4, EventName = "DrainCutShort", Level = LogLevel.Warning,
        Message = "Conserv servers stopping: the host's shutdown timeout ended the drain; {ClientCount} connections are aborted")]
    public static partial void DrainCutShort(ILogger logger, int clientCount);

    [LoggerMessage(EventId = 5, EventName = "ServerFault", Level = LogLevel.Error,
        Message = "Conserv server {ServerName} on {Endpoint}: server error")]
    public static partial void ServerFault(ILogger logger, string serverName, string endpoint, Exception error);

    [LoggerMessage(EventId = 6, EventName = "DriverCreationFailed", Level = LogLevel.Error,
        Message = "Conserv server {ServerName}: could not create a {DriverType} for the connection from {Remote}; the connection is dropped")]
    public static partial void DriverCreationFailed(ILogger logger, string serverName, string driverType, string? remote, Exception error);

    [LoggerMessage(EventId = 7, EventName = "ConnectionHandlerFailed", Level = LogLevel.Error,
        Message = "Conserv server {ServerName}: the connection handler of {DriverType} failed for {Remote}; the connection is dropped")]
    public static partial void ConnectionHandlerFailed(ILogger logger, string serverName, string driverType, string? remote, Exception error);

    [LoggerMessage(EventId = 8, EventName = "DriverDisposeFailed", Level = LogLevel.Warning,
        Message = "Conserv server {ServerName}: disposing a connection's driver or scope failed")]
    public static partial void DriverDisposeFailed(ILogger logger, string serverName, Exception error);

    [LoggerMessage(EventId = 9, EventName = "UnhandledException", Level = LogLevel.Error,
        Message = "Conserv: an exception no handler took ({Target})")]
    public static partial void Unhandled(ILogger logger, string target, Exception error);

    [LoggerMessage(EventId = 10, EventName = "AbortIncomplete", Level = LogLevel.Warning,
        Message = "Conserv servers stopping: {ServerCount} servers had not closed {Grace} after their connections were aborted")]
    public static partial void AbortIncomplete(ILogger logger, int serverCount, TimeSpan grace);
}
