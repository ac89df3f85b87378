using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Reliability.Tests.Support;

/// <summary>
/// Opens many client connections to one server with a bound on how many are in flight at once (a sliding
/// window: a new connect starts when one finishes), all with async sockets — no thread per connection.
/// </summary>
/// <remarks>
/// A TCP connect completes when the kernel has queued the connection, before the server has accepted it; to keep
/// the server's accept queue (its listen backlog) from overflowing, pass an <c>established</c> step that waits
/// for the server to answer (for an echo server: one round trip). That step runs inside the in-flight window.
/// Failures are collected, not thrown, so a scenario that expects some (a server out of descriptors) can count them.
/// </remarks>
public static class MassConnector
{
    /// <summary>Opens <paramref name="count"/> connections to <paramref name="target"/>.</summary>
    /// <param name="target">The server.</param>
    /// <param name="count">How many connections.</param>
    /// <param name="maxInFlight">At most this many connects (with their <paramref name="established"/> step) at once; keep it under the server's backlog.</param>
    /// <param name="established">Runs on each connection right after connect, inside the window (null: none); a throw counts as a failed connection.</param>
    /// <param name="stopOnFirstError">Stop starting connects after the first failure.</param>
    /// <param name="cancellationToken">Cancels the whole operation (throws <see cref="OperationCanceledException"/>, after closing what was opened).</param>
    /// <returns>The connections, by number; failed ones are null.</returns>
    public static async Task<ConnectionSet> ConnectAsync(EndPoint target, int count, int maxInFlight,
        Func<int, Socket, CancellationToken, ValueTask>? established, bool stopOnFirstError, CancellationToken cancellationToken)
    {
        var set = new ConnectionSet(count);
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        int inFlight = 0;
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = maxInFlight, CancellationToken = stop.Token },
                async (i, token) =>
                {
                    set.NoteInFlight(Interlocked.Increment(ref inFlight));
                    var socket = SocketIo.NewClient(target);
                    try
                    {
                        await socket.ConnectAsync(target, token);
                        if (established is not null)
                        {
                            await established(i, socket, token);
                        }

                        set.Add(i, socket);
                    }
                    catch (Exception e) when (!token.IsCancellationRequested)
                    {
                        socket.Dispose();
                        set.Fail(i, e);
                        if (stopOnFirstError)
                        {
                            await stop.CancelAsync();
                        }
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                    finally
                    {
                        Interlocked.Decrement(ref inFlight);
                    }
                });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // stopped after the first error, as asked
        }
        catch
        {
            set.Dispose();
            throw;
        }

        set.Elapsed = clock.Elapsed;
        return set;
    }
}

/// <summary>Connections opened by <see cref="MassConnector"/>; disposing it resets every one still open.</summary>
public sealed class ConnectionSet : IDisposable
{
    private const int ErrorsKept = 5;
    private readonly Socket?[] _sockets;
    private readonly List<string> _errors = new();
    private int _connected;
    private int _failed;
    private int _peakInFlight;

    /// <summary>Room for <paramref name="count"/> connections.</summary>
    /// <param name="count">How many were asked for.</param>
    public ConnectionSet(int count) => _sockets = new Socket?[count];

    /// <summary>How many were asked for.</summary>
    public int Requested => _sockets.Length;

    /// <summary>How many connected (and passed the established step).</summary>
    public int Connected => Volatile.Read(ref _connected);

    /// <summary>How many failed.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>The most connects that were in flight at once.</summary>
    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    /// <summary>How long connecting took.</summary>
    public TimeSpan Elapsed { get; internal set; }

    /// <summary>The first few failures, described.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToArray();
            }
        }
    }

    /// <summary>Connection number <paramref name="index"/>, or null if it failed or was closed through this set.</summary>
    /// <param name="index">The connection's number.</param>
    public Socket? this[int index] => _sockets[index];

    /// <summary>The open connections with their numbers.</summary>
    /// <returns>Pairs of number and socket.</returns>
    public IEnumerable<(int Index, Socket Socket)> Open()
    {
        for (int i = 0; i < _sockets.Length; i++)
        {
            if (_sockets[i] is { } socket)
            {
                yield return (i, socket);
            }
        }
    }

    /// <summary>
    /// Counts connections that are open right now, as the kernel sees them from this side: held in the set, and
    /// not readable with nothing to read — which is how the end of the stream (FIN) or a reset from the peer shows.
    /// Only meaningful while no data is expected (pending echo bytes would make a socket readable).
    /// </summary>
    /// <returns>The count.</returns>
    public int CountOpen()
    {
        int open = 0;
        foreach (var (_, socket) in Open())
        {
            try
            {
                bool endedOrFailed = socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
                if (socket.Connected && !endedOrFailed)
                {
                    open++;
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // not open
            }
        }

        return open;
    }

    /// <summary>A summary of the failures, for an assertion message.</summary>
    /// <returns>The text.</returns>
    public string DescribeFailures() =>
        string.Create(CultureInfo.InvariantCulture, $"{Failed} of {Requested} connections failed; first errors:\n  ") + string.Join("\n  ", Errors);

    /// <summary>Closes every open connection in order (FIN) or with a reset (RST), and forgets it.</summary>
    /// <param name="reset">True to reset instead of closing in order.</param>
    public void CloseAll(bool reset)
    {
        for (int i = 0; i < _sockets.Length; i++)
        {
            if (Interlocked.Exchange(ref _sockets[i], null) is { } socket)
            {
                if (reset)
                {
                    SocketIo.Reset(socket);
                }
                else
                {
                    SocketIo.CloseOrderly(socket);
                }
            }
        }
    }

    /// <summary>Resets every connection still open.</summary>
    public void Dispose() => CloseAll(reset: true);

    internal void Add(int index, Socket socket)
    {
        _sockets[index] = socket;
        Interlocked.Increment(ref _connected);
    }

    internal void Fail(int index, Exception error)
    {
        Interlocked.Increment(ref _failed);
        lock (_errors)
        {
            if (_errors.Count < ErrorsKept)
            {
                string code = error is SocketException s ? $" ({s.SocketErrorCode})" : "";
                _errors.Add($"connection {index}: {error.GetType().Name}{code}: {error.Message}");
            }
        }
    }

    internal void NoteInFlight(int inFlight)
    {
        int peak;
        while (inFlight > (peak = Volatile.Read(ref _peakInFlight)) && Interlocked.CompareExchange(ref _peakInFlight, inFlight, peak) != peak)
        {
        }
    }
}
