using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Conserv.Bench.LoadClient;

/// <summary>
/// Opens N loopback connections to an echo server, ping-pongs (or pipelines) fixed-size messages for a bounded
/// time and count, verifies every echoed byte, and reports messages/s, MB/s, latency percentiles and the CPU
/// used by the server process (from /proc) and by this client during the measured window.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        LoadOptions o;
        try
        {
            o = LoadOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(LoadOptions.Usage);
            return 2;
        }

        var endPoint = new IPEndPoint(o.Host, o.Port);
        long budget = Math.Max(1, o.MaxMessages / o.Connections / o.Depth) * o.Depth; // whole round trips
        var connections = new EchoConnection[o.Connections];
        try
        {
            for (int i = 0; i < connections.Length; i++)
            {
                connections[i] = new EchoConnection(endPoint, i, o.Size, o.Depth, budget);
            }
        }
        catch (System.Net.Sockets.SocketException e)
        {
            Console.Error.WriteLine($"connect to {endPoint} failed: {e.SocketErrorCode}: {e.Message}");
            foreach (var c in connections)
            {
                c?.Dispose();
            }

            return 1;
        }

        var stop = new StrongBox<bool>();
        var recording = new StrongBox<int>();
        long deadline = Stopwatch.GetTimestamp() + (long)((o.WarmupSeconds + o.DurationSeconds + 5) * Stopwatch.Frequency);
        var threads = connections.Select(c => new Thread(() => c.Run(stop, recording, deadline), 256 * 1024)
        {
            IsBackground = true,
            Name = "echo connection",
        }).ToArray();
        foreach (var t in threads)
        {
            t.Start();
        }

        // Warm up, then measure a window: message counts and CPU times are read at both ends of it.
        Sleep(o.WarmupSeconds, connections, budget);
        string serverPid = o.ServerPid?.ToString(CultureInfo.InvariantCulture) ?? "";
        double? serverCpu0 = o.ServerPid is null ? null : ProcessCpu.Seconds(serverPid);
        double? clientCpu0 = ProcessCpu.Seconds("self");
        double? machineCpu0 = ProcessCpu.MachineBusySeconds();
        long messages0 = connections.Sum(c => c.Messages);
        long t0 = Stopwatch.GetTimestamp();
        Volatile.Write(ref recording.Value, 1);

        Sleep(o.DurationSeconds, connections, budget);

        Volatile.Write(ref recording.Value, 0);
        long t1 = Stopwatch.GetTimestamp();
        long messages1 = connections.Sum(c => c.Messages);
        double? serverCpu1 = o.ServerPid is null ? null : ProcessCpu.Seconds(serverPid);
        double? clientCpu1 = ProcessCpu.Seconds("self");
        double? machineCpu1 = ProcessCpu.MachineBusySeconds();
        Volatile.Write(ref stop.Value, true);
        foreach (var t in threads)
        {
            t.Join(TimeSpan.FromSeconds(6)); // a connection blocked in receive gives up after its 5 s timeout
        }

        var latency = new LatencyHistogram();
        foreach (var c in connections)
        {
            latency.Add(c.Latency);
            c.Dispose();
        }

        string[] errors = connections.Select(c => c.Error).OfType<string>().ToArray();
        double seconds = (double)(t1 - t0) / Stopwatch.Frequency;
        long messages = messages1 - messages0;
        double rate = messages / seconds;
        double megabytes = rate * o.Size / 1e6;
        double? serverCpu = serverCpu1 - serverCpu0;
        double? clientCpu = clientCpu1 - clientCpu0;
        double? serverPercent = serverCpu / seconds * 100;
        double? serverMicrosPerMessage = messages > 0 ? serverCpu / messages * 1e6 : null;
        double? clientPercent = clientCpu / seconds * 100;

        // What neither the server nor this client used: other processes on the machine (noise in these figures).
        double? otherPercent = (machineCpu1 - machineCpu0 - (serverCpu ?? 0) - clientCpu) / seconds * 100;
        otherPercent = otherPercent is { } other ? Math.Max(0, other) : null;
        var inv = CultureInfo.InvariantCulture;
        string F(double? value, string format) => value is { } v && !double.IsNaN(v) ? v.ToString(format, inv) : "n/a";

        if (o.Markdown)
        {
            Console.WriteLine(string.Join(" | ",
                "| " + o.Label, o.Connections.ToString(inv), F(rate, "N0"), F(megabytes, "F2"),
                F(latency.PercentileMicroseconds(0.50), "F1"), F(latency.PercentileMicroseconds(0.99), "F1"),
                F(serverPercent, "F0"), F(serverMicrosPerMessage, "F2"), F(clientPercent, "F0"), F(otherPercent, "F0"),
                (errors.Length == 0 ? "ok" : $"{errors.Length} failed") + " |"));
        }
        else
        {
            Console.WriteLine($"{endPoint} connections={o.Connections} size={o.Size} B depth={o.Depth} window={seconds:F2} s");
            Console.WriteLine($"  messages      {messages.ToString("N0", inv)} echoed and verified ({F(rate, "N0")}/s, {F(megabytes, "F2")} MB/s one way)");
            Console.WriteLine($"  round trip    p50 {F(latency.PercentileMicroseconds(0.5), "F1")} µs  p99 {F(latency.PercentileMicroseconds(0.99), "F1")} µs  p99.9 {F(latency.PercentileMicroseconds(0.999), "F1")} µs  max {F(latency.MaxNanoseconds / 1000, "F1")} µs");
            Console.WriteLine($"  server cpu    {F(serverPercent, "F0")}% of a core, {F(serverMicrosPerMessage, "F2")} µs per message");
            Console.WriteLine($"  client cpu    {F(clientPercent, "F0")}% of a core");
            Console.WriteLine($"  other cpu     {F(otherPercent, "F0")}% of a core used by other processes meanwhile (noise)");
        }

        foreach (var error in errors)
        {
            Console.Error.WriteLine(error);
        }

        return errors.Length == 0 && messages > 0 ? 0 : 1;
    }

    /// <summary>Sleeps up to <paramref name="seconds"/>, ending early once every connection spent its budget or stopped.</summary>
    private static void Sleep(double seconds, EchoConnection[] connections, long budget)
    {
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            if (connections.All(c => c.Error is not null || c.Messages >= budget))
            {
                return;
            }

            Thread.Sleep(20);
        }
    }
}
