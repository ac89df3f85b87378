using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Tracing;
using System.Linq;

namespace Conserv.Bench;

/// <summary>
/// Names what is being allocated, without a profiler: the runtime's GC AllocationTick event fires about every
/// 100 KB allocated and carries the type of the object that crossed the mark, so a type allocated per echo
/// shows up by name after a few hundred thousand echoes.
/// </summary>
public sealed class AllocationTypeListener : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, int> _types = new();

    /// <summary>Types seen in allocation ticks, most frequent first.</summary>
    /// <returns>(type name, ticks) pairs.</returns>
    public IReadOnlyList<(string Type, int Ticks)> Types() =>
        _types.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value)).ToList();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is not null && eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal)
            && eventData.PayloadNames is { } names && eventData.Payload is { } payload)
        {
            int index = names.IndexOf("TypeName");
            if (index >= 0 && payload[index] is string type)
            {
                _types.AddOrUpdate(type, 1, static (_, n) => n + 1);
            }
        }
    }
}
