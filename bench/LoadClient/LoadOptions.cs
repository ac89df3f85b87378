using System;
using System.Globalization;
using System.Net;

namespace Conserv.Bench.LoadClient;

/// <summary>The load client's command line.</summary>
public sealed class LoadOptions
{
    public const string Usage = """
        usage: LoadClient --port N [options]
          --host A           loopback address to connect to: 127.0.0.1 (default) or ::1; nothing else is allowed
          --port N           the echo server's port (required)
          --connections N    concurrent connections, one blocking thread each (default 1, at most 1000)
          --size N           bytes per message (default 64, 1 to 1 MiB)
          --depth N          messages sent back to back before reading their echoes (default 1 = ping-pong)
          --duration S       measured seconds (default 10, at most 600)
          --warmup S         seconds of traffic before measuring (default 2)
          --max-messages N   stop once this many messages were echoed in all (default 2e9)
          --server-pid P     also report the CPU that process used during the measured window
          --label L          name of the row in --markdown output
          --markdown         print one markdown table row instead of the report
        """;

    public IPAddress Host { get; private set; } = IPAddress.Loopback;

    public int Port { get; private set; }

    public int Connections { get; private set; } = 1;

    public int Size { get; private set; } = 64;

    public int Depth { get; private set; } = 1;

    public double DurationSeconds { get; private set; } = 10;

    public double WarmupSeconds { get; private set; } = 2;

    public long MaxMessages { get; private set; } = 2_000_000_000;

    public int? ServerPid { get; private set; }

    public string Label { get; private set; } = "";

    public bool Markdown { get; private set; }

    /// <summary>Parses and checks the arguments.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentException">An argument is unknown, missing its value, or out of range.</exception>
    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            double Real() => double.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--host": o.Host = IPAddress.Parse(Next()); break;
                case "--port": o.Port = Int(); break;
                case "--connections": o.Connections = Int(); break;
                case "--size": o.Size = Int(); break;
                case "--depth": o.Depth = Int(); break;
                case "--duration": o.DurationSeconds = Real(); break;
                case "--warmup": o.WarmupSeconds = Real(); break;
                case "--max-messages": o.MaxMessages = (long)Real(); break;
                case "--server-pid": o.ServerPid = Int(); break;
                case "--label": o.Label = Next(); break;
                case "--markdown": o.Markdown = true; break;
                default: throw new ArgumentException($"unknown argument: {args[i]}");
            }
        }

        if (!IPAddress.IsLoopback(o.Host))
        {
            throw new ArgumentException($"{o.Host} is not a loopback address: this client only targets 127.0.0.1 or ::1.");
        }

        Check(o.Port is >= 1 and <= 65535, "--port must be 1–65535");
        Check(o.Connections is >= 1 and <= 1000, "--connections must be 1–1000");
        Check(o.Size is >= 1 and <= 1 << 20, "--size must be 1 B – 1 MiB");
        Check(o.Depth is >= 1 and <= 1024 && (long)o.Depth * o.Size <= 16 << 20, "--depth must be 1–1024 and depth × size at most 16 MiB");
        Check(o.DurationSeconds is > 0 and <= 600, "--duration must be in (0, 600]");
        Check(o.WarmupSeconds is >= 0 and <= 60, "--warmup must be in [0, 60]");
        Check(o.MaxMessages >= 1, "--max-messages must be positive");
        return o;
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
