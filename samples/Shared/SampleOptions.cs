using System;
using System.Collections.Generic;
using System.Globalization;

namespace Conserv.Samples;

/// <summary>
/// The command line every sample understands: <c>--host H</c>, <c>--port N</c>, <c>--unix PATH</c>, <c>--help</c>,
/// plus the sample's own <c>--name value</c> options.
/// </summary>
/// <remarks>
/// With no option a server listens on TCP <c>127.0.0.1:defaultPort</c>. <c>--unix PATH</c> listens on that
/// Unix-domain socket instead; add <c>--port</c> (or <c>--host</c>) to listen on both.
/// </remarks>
public sealed class SampleOptions
{
    private readonly Dictionary<string, string> _extra = new(StringComparer.Ordinal);

    private SampleOptions()
    {
    }

    /// <summary>The TCP address: 127.0.0.1 unless <c>--host</c> says otherwise.</summary>
    public string Host { get; private set; } = "127.0.0.1";

    /// <summary>The TCP port (0 picks a free one).</summary>
    public int Port { get; private set; }

    /// <summary>True when the server should listen on TCP.</summary>
    public bool UseTcp { get; private set; } = true;

    /// <summary>The Unix-domain socket path, if any.</summary>
    public string? UnixPath { get; private set; }

    /// <summary>Parses <paramref name="args"/>; prints usage and exits on <c>--help</c> or a bad option.</summary>
    /// <param name="args">The program's arguments.</param>
    /// <param name="name">The sample's name, for the usage text.</param>
    /// <param name="defaultPort">The port used when <c>--port</c> is not given.</param>
    /// <param name="extraOptions">The sample's own options (without the leading dashes) and their descriptions.</param>
    /// <returns>The options.</returns>
    public static SampleOptions Parse(string[] args, string name, int defaultPort, params (string Name, string Help)[] extraOptions)
    {
        var options = new SampleOptions { Port = defaultPort };
        bool tcpExplicit = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg is "-h" or "--help")
            {
                PrintUsage(name, defaultPort, extraOptions);
                Environment.Exit(0);
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                Fail(name, defaultPort, extraOptions, $"unexpected argument '{arg}'");
            }

            string value = args[++i];
            switch (arg)
            {
                case "--host":
                    options.Host = value;
                    tcpExplicit = true;
                    break;
                case "--port":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
                    {
                        Fail(name, defaultPort, extraOptions, $"--port needs a number from 0 to 65535, not '{value}'");
                    }

                    options.Port = port;
                    tcpExplicit = true;
                    break;
                case "--unix":
                    options.UnixPath = value;
                    break;
                default:
                    string key = arg[2..];
                    if (Array.FindIndex(extraOptions, o => o.Name == key) < 0)
                    {
                        Fail(name, defaultPort, extraOptions, $"unknown option '{arg}'");
                    }

                    options._extra[key] = value;
                    break;
            }
        }

        options.UseTcp = options.UnixPath is null || tcpExplicit;
        return options;
    }

    /// <summary>The value of one of the sample's own options, or <paramref name="defaultValue"/>.</summary>
    /// <param name="name">The option's name, without dashes.</param>
    /// <param name="defaultValue">Used when the option is absent.</param>
    /// <returns>The value.</returns>
    public string Get(string name, string defaultValue) => _extra.TryGetValue(name, out var v) ? v : defaultValue;

    /// <summary>The value of one of the sample's own numeric options, or <paramref name="defaultValue"/>.</summary>
    /// <param name="name">The option's name, without dashes.</param>
    /// <param name="defaultValue">Used when the option is absent.</param>
    /// <returns>The value.</returns>
    public long GetNumber(string name, long defaultValue)
    {
        if (!_extra.TryGetValue(name, out var text))
        {
            return defaultValue;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            Console.Error.WriteLine($"error: --{name} needs a non-negative number, not '{text}'");
            Environment.Exit(2);
        }

        return value;
    }

    private static void Fail(string name, int defaultPort, (string Name, string Help)[] extraOptions, string message)
    {
        Console.Error.WriteLine($"error: {message}");
        PrintUsage(name, defaultPort, extraOptions);
        Environment.Exit(2);
    }

    private static void PrintUsage(string name, int defaultPort, (string Name, string Help)[] extraOptions)
    {
        Console.Error.WriteLine($"usage: {name} [--host HOST] [--port PORT] [--unix PATH]" + string.Concat(Array.ConvertAll(extraOptions, o => $" [--{o.Name} VALUE]")));
        Console.Error.WriteLine($"  --host HOST   TCP address (default 127.0.0.1)");
        Console.Error.WriteLine($"  --port PORT   TCP port (default {defaultPort}; 0 picks a free port)");
        Console.Error.WriteLine($"  --unix PATH   Unix-domain socket path (alone: Unix only; with --port/--host: both)");
        foreach (var (optionName, help) in extraOptions)
        {
            Console.Error.WriteLine($"  --{optionName,-11} {help}");
        }
    }
}
