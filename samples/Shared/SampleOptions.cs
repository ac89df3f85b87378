using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace Conserv.Samples;

/// <summary>
/// The command line every sample understands: <c>--host H</c>, <c>--port N</c>, <c>--unix PATH</c>, <c>--help</c>,
/// TLS (<c>--tls</c>, <c>--tls-cert FILE</c>, <c>--tls-key FILE</c> for a server; <c>--tls</c>, <c>--insecure</c>
/// for a client), plus the sample's own <c>--name value</c> options.
/// </summary>
/// <remarks>
/// With no option a server listens on TCP <c>127.0.0.1:defaultPort</c>. <c>--unix PATH</c> listens on that
/// Unix-domain socket instead; add <c>--port</c> (or <c>--host</c>) to listen on both.
/// </remarks>
public sealed class SampleOptions
{
    private readonly Dictionary<string, string> _extra = new(StringComparer.Ordinal);
    private readonly string _name;
    private readonly int _defaultPort;
    private readonly bool _client;
    private readonly (string Name, string Help)[] _extraOptions;

    private SampleOptions(string name, int defaultPort, bool client, (string Name, string Help)[] extraOptions)
    {
        _name = name;
        _defaultPort = defaultPort;
        _client = client;
        _extraOptions = extraOptions;
    }

    /// <summary>The TCP address: 127.0.0.1 unless <c>--host</c> says otherwise.</summary>
    public string Host { get; private set; } = "127.0.0.1";

    /// <summary>The TCP port (0 picks a free one).</summary>
    public int Port { get; private set; }

    /// <summary>True when the server should listen on TCP.</summary>
    public bool UseTcp { get; private set; } = true;

    /// <summary>The Unix-domain socket path, if any.</summary>
    public string? UnixPath { get; private set; }

    /// <summary>
    /// True when TLS is asked for: a server serves it (<c>--tls</c>, or <c>--tls-cert</c>), a client connects with it
    /// (<c>--tls</c>).
    /// </summary>
    public bool Tls { get; private set; }

    /// <summary>A server's PEM certificate file (<c>--tls-cert</c>), or null for a self-signed certificate made at start.</summary>
    public string? TlsCertFile { get; private set; }

    /// <summary>A server's PEM private key file (<c>--tls-key</c>), or null when the key is in <see cref="TlsCertFile"/>.</summary>
    public string? TlsKeyFile { get; private set; }

    /// <summary>A client's <c>--insecure</c>: accept any server certificate (a self-signed one, say) without checking it.</summary>
    public bool Insecure { get; private set; }

    /// <summary>Parses a server's <paramref name="args"/>; prints usage and exits on <c>--help</c> or a bad option.</summary>
    /// <param name="args">The program's arguments.</param>
    /// <param name="name">The sample's name, for the usage text.</param>
    /// <param name="defaultPort">The port used when <c>--port</c> is not given.</param>
    /// <param name="extraOptions">The sample's own options (without the leading dashes) and their descriptions.</param>
    /// <returns>The options.</returns>
    public static SampleOptions Parse(string[] args, string name, int defaultPort, params (string Name, string Help)[] extraOptions) =>
        Parse(args, name, defaultPort, client: false, extraOptions);

    /// <summary>
    /// Parses a client's <paramref name="args"/>: as <see cref="Parse"/>, but <c>--tls</c> means connecting with TLS,
    /// <c>--insecure</c> skips the server certificate's validation, and there is no <c>--tls-cert</c>/<c>--tls-key</c>.
    /// </summary>
    /// <param name="args">The program's arguments.</param>
    /// <param name="name">The sample's name, for the usage text.</param>
    /// <param name="defaultPort">The port used when <c>--port</c> is not given.</param>
    /// <param name="extraOptions">The sample's own options (without the leading dashes) and their descriptions.</param>
    /// <returns>The options.</returns>
    public static SampleOptions ParseClient(string[] args, string name, int defaultPort, params (string Name, string Help)[] extraOptions) =>
        Parse(args, name, defaultPort, client: true, extraOptions);

    private static SampleOptions Parse(string[] args, string name, int defaultPort, bool client, (string Name, string Help)[] extraOptions)
    {
        var options = new SampleOptions(name, defaultPort, client, extraOptions) { Port = defaultPort };
        bool tcpExplicit = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg is "-h" or "--help")
            {
                options.PrintUsage();
                Environment.Exit(0);
            }

            // The options without a value.
            if (arg == "--tls" || (client && arg == "--insecure"))
            {
                options.Tls |= arg == "--tls";
                options.Insecure |= arg == "--insecure";
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                options.Fail($"unexpected argument '{arg}'");
            }

            string value = args[++i];
            switch (arg)
            {
                case "--tls-cert" when !client:
                    options.TlsCertFile = options.RequireFile(arg, value);
                    options.Tls = true; // a certificate is only given to serve TLS with it
                    break;
                case "--tls-key" when !client:
                    options.TlsKeyFile = options.RequireFile(arg, value);
                    break;
                case "--host":
                    options.Host = value;
                    tcpExplicit = true;
                    break;
                case "--port":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
                    {
                        options.Fail($"--port needs a number from 0 to 65535, not '{value}'");
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
                        options.Fail($"unknown option '{arg}'");
                    }

                    options._extra[key] = value;
                    break;
            }
        }

        if (options.TlsKeyFile is not null && options.TlsCertFile is null)
        {
            options.Fail("--tls-key needs --tls-cert: the certificate that goes with the key");
        }

        if (options.Insecure && !options.Tls)
        {
            options.Fail("--insecure only means something with --tls");
        }

        if (client && options.Tls && options.UnixPath is not null)
        {
            options.Fail("--tls connects over TCP only, not with --unix");
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

    private void Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        PrintUsage();
        Environment.Exit(2);
    }

    /// <summary>Checks now that a file option names a file, so the error names the option rather than a later load.</summary>
    private string RequireFile(string option, string path)
    {
        if (!File.Exists(path))
        {
            Fail($"{option}: no such file '{path}'");
        }

        return path;
    }

    private void PrintUsage()
    {
        string tls = _client ? " [--tls [--insecure]]" : " [--tls] [--tls-cert FILE [--tls-key FILE]]";
        Console.Error.WriteLine($"usage: {_name} [--host HOST] [--port PORT] [--unix PATH]{tls}" + string.Concat(Array.ConvertAll(_extraOptions, o => $" [--{o.Name} VALUE]")));
        Console.Error.WriteLine($"  --host HOST   TCP address (default 127.0.0.1)");
        Console.Error.WriteLine($"  --port PORT   TCP port (default {_defaultPort}; 0 picks a free port)");
        Console.Error.WriteLine($"  --unix PATH   Unix-domain socket path (alone: Unix only; with --port/--host: both)");
        if (_client)
        {
            Console.Error.WriteLine($"  --tls         connect with TLS (TCP only); the server's certificate is checked against the system's CAs");
            Console.Error.WriteLine($"  --insecure    with --tls: accept any server certificate, unchecked (a self-signed one)");
        }
        else
        {
            Console.Error.WriteLine($"  --tls         serve TLS with a self-signed certificate for localhost made at start (its fingerprint is printed)");
            Console.Error.WriteLine($"  --tls-cert FILE  serve TLS with this PEM certificate (intermediates may follow it in the file)");
            Console.Error.WriteLine($"  --tls-key FILE   the PEM private key of --tls-cert (left out: read from the certificate's file)");
        }

        foreach (var (optionName, help) in _extraOptions)
        {
            Console.Error.WriteLine($"  --{optionName,-11} {help}");
        }
    }
}
