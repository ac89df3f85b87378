using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>
/// A handler's task that fails only once the test lets it, after the test has closed its socket or server: the
/// failure should then reach <see cref="EventLoop.UnhandledException"/>, which this records.
/// </summary>
public sealed class LateFailure
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<LoopExceptionEventArgs> _reported = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Subscribes to <paramref name="loop"/>'s unhandled exceptions.</summary>
    public LateFailure(EventLoop loop) => loop.UnhandledException += (_, e) => _reported.TrySetResult(e);

    /// <summary>The handler's body: waits for <see cref="Release"/>, then throws "too late".</summary>
    public async ValueTask FailWhenReleased()
    {
        await _release.Task;
        throw new CustomTestException("too late");
    }

    /// <summary>Lets the handler fail.</summary>
    public void Release() => _release.SetResult();

    /// <summary>The first unhandled exception the loop reported, checked to be the handler's own.</summary>
    public async Task<LoopExceptionEventArgs> ReportedAsync()
    {
        var report = await _reported.Task.WithTimeout("the failure to be reported");
        Xunit.Assert.Equal("too late", Xunit.Assert.IsType<CustomTestException>(report.Exception).Message);
        return report;
    }
}
