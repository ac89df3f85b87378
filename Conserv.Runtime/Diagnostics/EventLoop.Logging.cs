using Microsoft.Extensions.Logging;

namespace Conserv;

// The loop's loggers, made once from EventLoopOptions.LoggerFactory (null: no logging at all).
public sealed partial class EventLoop
{
    private ILogger? _serverLog;
    private ILogger? _connectionLog;
    private bool _loggersMade;

    /// <summary>The logger of servers, or null.</summary>
    internal ILogger? ServerLog => MakeLoggers() ? _serverLog : null;

    /// <summary>The logger of connections, or null.</summary>
    internal ILogger? ConnectionLog => MakeLoggers() ? _connectionLog : null;

    private bool MakeLoggers()
    {
        if (!_loggersMade)
        {
            _loggersMade = true;
            if (Options.LoggerFactory is { } factory)
            {
                _serverLog = factory.CreateLogger(RuntimeLog.ServerCategory);
                _connectionLog = factory.CreateLogger(RuntimeLog.ConnectionCategory);
            }
        }

        return _serverLog is not null;
    }
}
