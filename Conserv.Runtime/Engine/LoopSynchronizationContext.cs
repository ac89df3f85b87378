using System.Threading;

namespace Conserv;

/// <summary>
/// Makes <c>await</c> in a handler continue on the loop thread, so async handlers need no locks either.
/// </summary>
internal sealed class LoopSynchronizationContext : SynchronizationContext
{
    private readonly EventLoop _loop;

    public LoopSynchronizationContext(EventLoop loop) => _loop = loop;

    public override void Post(SendOrPostCallback d, object? state) => _loop.Post(static s =>
    {
        var (callback, callbackState) = ((SendOrPostCallback, object?))s!;
        callback(callbackState);
    }, (d, state));

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (_loop.IsLoopThread)
        {
            d(state);
            return;
        }

        using var done = new ManualResetEventSlim();
        _loop.Post(_ =>
        {
            try
            {
                d(state);
            }
            finally
            {
                done.Set();
            }
        }, null);
        done.Wait();
    }

    public override SynchronizationContext CreateCopy() => this;
}
