using System.Threading;
using System.Threading.Tasks;

namespace Conserv;

/// <summary>
/// The <c>Closed</c> task and <c>ClosedToken</c> of a socket or server: created only when someone asks
/// (most connections never do), completed once by the loop thread, safe to ask for from any thread.
/// </summary>
internal struct CloseSignal
{
    private TaskCompletionSource? _task;
    private CancellationTokenSource? _token;
    private volatile bool _signalled;

    public Task Task
    {
        get
        {
            if (_task is null)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (Interlocked.CompareExchange(ref _task, created, null) is null && _signalled)
                {
                    created.TrySetResult();
                }
            }

            return _task.Task;
        }
    }

    public CancellationToken Token
    {
        get
        {
            if (_token is null)
            {
                var created = new CancellationTokenSource();
                if (Interlocked.CompareExchange(ref _token, created, null) is not null)
                {
                    created.Dispose();
                }
                else if (_signalled)
                {
                    created.Cancel();
                }
            }

            return _token.Token;
        }
    }

    /// <summary>Completes the task and cancels the token, including ones created later.</summary>
    public void Signal()
    {
        _signalled = true;

        // A getter on another thread publishes its object (a full fence), then reads _signalled; without a
        // full fence here too, this store and the reads below could pass each other, both sides would miss,
        // and the task would never complete.
        Interlocked.MemoryBarrier();
        _token?.Cancel();
        _task?.TrySetResult();
    }
}
