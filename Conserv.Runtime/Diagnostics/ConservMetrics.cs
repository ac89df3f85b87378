using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace Conserv;

/// <summary>
/// The runtime's metrics: one <see cref="Meter"/> named <see cref="MeterName"/>, modelled on Kestrel's and the
/// OpenTelemetry semantic conventions. Watch it with <c>dotnet-counters monitor --counters Conserv -p PID</c>, an
/// OpenTelemetry <c>AddMeter("Conserv")</c>, or a <see cref="MeterListener"/>.
/// </summary>
/// <remarks>
/// <para>Instruments:</para>
/// <list type="table">
/// <item><term><c>conserv.connections.active</c></term><description>open connections, accepted and connected (observable; tag <c>network.transport</c>: <c>tcp</c> or <c>unix</c> is not split here: one total)</description></item>
/// <item><term><c>conserv.connections</c></term><description>connections opened (tags <c>network.transport</c>, <c>conserv.connection.side</c>: <c>server</c> or <c>client</c>)</description></item>
/// <item><term><c>conserv.connection.duration</c></term><description>seconds from open to close (tag <c>error.type</c>: the close cause's type, absent for an orderly close)</description></item>
/// <item><term><c>conserv.connections.rejected</c></term><description>clients turned away: over a connection cap, or while out of descriptors</description></item>
/// <item><term><c>conserv.io.read</c>, <c>conserv.io.written</c></term><description>bytes read from and accepted by the kernel</description></item>
/// <item><term><c>conserv.errors</c></term><description>errors dispatched to socket drivers (tags <c>error.type</c>, <c>conserv.error.outcome</c>: <c>handled</c> or <c>dropped</c>)</description></item>
/// <item><term><c>conserv.timeouts</c></term><description>time-outs (tag <c>conserv.timeout.kind</c>: <c>idle</c>, <c>connect</c> or <c>deadline</c>)</description></item>
/// <item><term><c>conserv.sockets.paused</c></term><description>sockets not reading: paused, or above their output high water mark (observable)</description></item>
/// <item><term><c>conserv.output.queued</c></term><description>bytes written and not yet taken by the kernel, over all sockets (observable)</description></item>
/// </list>
/// <para>Nobody listening costs a flag test per event: counters are only touched when enabled, and the observable
/// ones read per-loop totals that each loop keeps anyway.</para>
/// </remarks>
public static class ConservMetrics
{
    /// <summary>The meter's name: <c>Conserv</c>.</summary>
    public const string MeterName = "Conserv";

    internal static readonly Meter Meter = new(MeterName, typeof(ConservMetrics).Assembly.GetName().Version?.ToString());

    private static readonly ConcurrentDictionary<EventLoop, byte> s_loops = new();

    internal static readonly Counter<long> Connections = Meter.CreateCounter<long>(
        "conserv.connections", "{connection}", "Connections opened: accepted by a server or connected by a client.");

    /// <summary>
    /// The bucket boundaries advised for <c>conserv.connection.duration</c>, in seconds: Kestrel's for
    /// <c>kestrel.connection.duration</c> (10 ms to 5 minutes, the default idle time-out). Without advice an exporter
    /// uses OpenTelemetry's default boundaries (0, 5, 10, 25 … 10000), made for milliseconds, and every connection
    /// shorter than 5 s lands in one bucket.
    /// </summary>
    internal static readonly IReadOnlyList<double> ConnectionDurationBoundaries = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

    internal static readonly Histogram<double> ConnectionDuration = Meter.CreateHistogram<double>(
        "conserv.connection.duration", "s", "How long connections stayed open; error.type is the close cause's type.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ConnectionDurationBoundaries });

    internal static readonly Counter<long> RejectedConnections = Meter.CreateCounter<long>(
        "conserv.connections.rejected", "{connection}", "Clients turned away: over a connection cap, or while out of descriptors.");

    internal static readonly Counter<long> BytesRead = Meter.CreateCounter<long>(
        "conserv.io.read", "By", "Bytes read from sockets.");

    internal static readonly Counter<long> BytesWritten = Meter.CreateCounter<long>(
        "conserv.io.written", "By", "Bytes the kernel accepted for sending.");

    internal static readonly Counter<long> Errors = Meter.CreateCounter<long>(
        "conserv.errors", "{error}", "Errors dispatched to socket drivers, by exception type and outcome.");

    internal static readonly Counter<long> Timeouts = Meter.CreateCounter<long>(
        "conserv.timeouts", "{timeout}", "Idle, connect and deadline time-outs.");

    static ConservMetrics()
    {
        Meter.CreateObservableUpDownCounter("conserv.connections.active", () => Sum(static l => l.ActiveConnections), "{connection}", "Open connections.");
        Meter.CreateObservableUpDownCounter("conserv.sockets.paused", () => Sum(static l => l.PausedSockets), "{socket}", "Sockets not reading: paused, or above their output high water mark.");
        Meter.CreateObservableUpDownCounter("conserv.output.queued", () => Sum(static l => l.QueuedOutput), "By", "Bytes written and not yet taken by the kernel.");
    }

    internal static void LoopStarted(EventLoop loop) => s_loops.TryAdd(loop, 0);

    internal static void LoopStopped(EventLoop loop) => s_loops.TryRemove(loop, out _);

    internal static KeyValuePair<string, object?> Transport(bool unix) => new("network.transport", unix ? "unix" : "tcp");

    internal static KeyValuePair<string, object?> ErrorType(Exception error) => new("error.type", error.GetType().FullName);

    private static long Sum(Func<EventLoop, long> read)
    {
        long total = 0;
        foreach (var loop in s_loops.Keys)
        {
            total += read(loop);
        }

        return total;
    }
}
