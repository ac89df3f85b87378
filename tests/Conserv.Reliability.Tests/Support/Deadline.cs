using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Reliability.Tests.Support;

/// <summary>
/// A hard time limit for one scenario: a token that every socket operation of the scenario takes, and a
/// guard that fails the test with a clear message (what was going on, how far it got) when the limit passes —
/// even if some operation ignored the token.
/// </summary>
public sealed class Deadline : IDisposable
{
    private static readonly TimeSpan s_grace = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _cancel;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Starts the clock.</summary>
    /// <param name="limit">The time the whole scenario may take.</param>
    public Deadline(TimeSpan limit)
    {
        Limit = limit;
        _cancel = new CancellationTokenSource(limit);
    }

    /// <summary>The time the whole scenario may take.</summary>
    public TimeSpan Limit { get; }

    /// <summary>Time since the start.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Time left (zero when passed).</summary>
    public TimeSpan Remaining => Limit - Elapsed is { Ticks: > 0 } left ? left : TimeSpan.Zero;

    /// <summary>Cancelled when the limit passes.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>
    /// Runs one phase of the scenario under the deadline. If the deadline passes (the phase throws
    /// <see cref="OperationCanceledException"/>, or ignores the token and does not end within a short grace),
    /// the test fails with "<paramref name="phase"/> did not finish within …" and <paramref name="progress"/>.
    /// </summary>
    /// <param name="phase">What the phase does, for the message.</param>
    /// <param name="work">The phase; it gets <see cref="Token"/>.</param>
    /// <param name="progress">Describes how far the scenario got (called only on failure).</param>
    /// <returns>When the phase is done.</returns>
    public async Task RunAsync(string phase, Func<CancellationToken, Task> work, Func<string> progress)
    {
        Task task;
        try
        {
            task = work(Token);
            await task.WaitAsync(Remaining + s_grace);
        }
        catch (Exception e) when ((e is OperationCanceledException && Token.IsCancellationRequested) || e is TimeoutException)
        {
            Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{phase} did not finish within the scenario's deadline of {Limit.TotalSeconds:F0} s (elapsed {Elapsed.TotalSeconds:F1} s). Progress: {progress()}"));
        }
    }

    /// <summary>Runs one phase that returns a value; see <see cref="RunAsync(string, Func{CancellationToken, Task}, Func{string})"/>.</summary>
    /// <typeparam name="T">The phase's result.</typeparam>
    /// <param name="phase">What the phase does, for the message.</param>
    /// <param name="work">The phase; it gets <see cref="Token"/>.</param>
    /// <param name="progress">Describes how far the scenario got (called only on failure).</param>
    /// <returns>The phase's result.</returns>
    public async Task<T> RunAsync<T>(string phase, Func<CancellationToken, Task<T>> work, Func<string> progress)
    {
        T result = default!;
        await RunAsync(phase, async token => { result = await work(token); }, progress);
        return result;
    }

    /// <inheritdoc/>
    public void Dispose() => _cancel.Dispose();
}
