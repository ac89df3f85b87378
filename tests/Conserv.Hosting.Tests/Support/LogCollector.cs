using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Logging;

namespace Conserv.Hosting.Tests.Support;

/// <summary>A logger provider that keeps every entry, for assertions on event ids and messages.</summary>
public sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    /// <summary>Everything logged so far.</summary>
    public IReadOnlyList<Entry> Entries => _entries.ToList();

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    /// <summary>One log entry.</summary>
    /// <param name="Category">The logger's category.</param>
    /// <param name="Level">The level.</param>
    /// <param name="EventName">The event's name.</param>
    /// <param name="Message">The formatted message.</param>
    /// <param name="Exception">The exception, if any.</param>
    public sealed record Entry(string Category, LogLevel Level, string? EventName, string Message, Exception? Exception);

    private sealed class Logger(LogCollector owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue(new Entry(category, logLevel, eventId.Name, formatter(state, exception), exception));
    }
}
