using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Conserv.Hosting;

/// <summary>
/// Checks a hosted server's options when the host starts, and turns them into the runtime's settings. Every
/// message names the configuration key at fault (<c>Conserv:Servers:echo:Port</c>), whether the value came from
/// configuration or from code, so the fix is obvious either way.
/// </summary>
internal sealed class ConservServerOptionsValidator : IValidateOptions<ConservServerOptions>
{
    private readonly Dictionary<string, ConservServerRegistration> _registrations;
    private readonly EventLoopGroup _loops;

    public ConservServerOptionsValidator(IEnumerable<ConservServerRegistration> registrations, EventLoopGroup loops)
    {
        _registrations = new Dictionary<string, ConservServerRegistration>(StringComparer.Ordinal);
        foreach (var registration in registrations)
        {
            _registrations[registration.Name] = registration;
        }

        _loops = loops;
    }

    public ValidateOptionsResult Validate(string? name, ConservServerOptions options)
    {
        // Options of that type under names no server was registered with are somebody else's business.
        if (name is null || !_registrations.TryGetValue(name, out var registration))
        {
            return ValidateOptionsResult.Skip;
        }

        var failures = Check(name, options);
        CheckLoops(failures, name, options, _loops.Loops.Count, registration);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Every problem with <paramref name="options"/>, each naming its key.</summary>
    internal static List<string> Check(string name, ConservServerOptions options)
    {
        string key = ConservServerOptions.SectionPath(name);
        var failures = new List<string>();

        if (options.Port is null && string.IsNullOrEmpty(options.UnixPath))
        {
            failures.Add($"{key}: set Port (to listen on TCP), UnixPath (to listen on a Unix-domain socket), or both.");
        }

        if (options.Port is { } port && port is < 0 or > 65535)
        {
            failures.Add($"{key}:Port must be from 0 to 65535 (0 picks a free port), not {port}.");
        }

        if (options.Port is not null && !IsBindableHost(options.Host))
        {
            failures.Add($"{key}:Host must be an IP address, 'localhost' or '*', not '{options.Host}'.");
        }

        if (options.UnixPath is { Length: > 0 } path && Encoding.UTF8.GetByteCount(path) > 107)
        {
            failures.Add($"{key}:UnixPath is longer than a Unix-domain socket path can be (107 bytes): '{path}'.");
        }

        if (options.UnixSocketMode is { } mode && !TryParseMode(mode, out _))
        {
            failures.Add($"{key}:UnixSocketMode must be file permissions in octal, such as \"660\", not '{mode}'.");
        }

        if (!TryGetEncoding(options.TextEncoding, out _))
        {
            failures.Add($"{key}:TextEncoding must be an encoding name such as \"utf-8\", or \"none\" for raw bytes, not '{options.TextEncoding}'.");
        }

        if (options.SharedDriver && options.DriverPerLoop)
        {
            failures.Add($"{key}: set SharedDriver (one driver for the server) or DriverPerLoop (one per loop), not both.");
        }

        AtLeast(failures, key, nameof(options.Backlog), options.Backlog, 1);
        if (options.MaxConnections is { } max)
        {
            AtLeast(failures, key, nameof(options.MaxConnections), max, 1);
        }

        if (options.MaxConnectionsPerAddress is { } perAddress)
        {
            AtLeast(failures, key, nameof(options.MaxConnectionsPerAddress), perAddress, 1);
        }

        if (options.IdleTimeout is { } idle && (idle < TimeSpan.Zero || idle.TotalMilliseconds > int.MaxValue))
        {
            failures.Add($"{key}:IdleTimeout must be positive and at most about 24 days, or zero to turn it off, not {idle}.");
        }

        AtLeast(failures, key, nameof(options.OutputHighWaterMark), options.OutputHighWaterMark, 1);
        AtLeast(failures, key, nameof(options.OutputLowWaterMark), options.OutputLowWaterMark, 0);
        if (options.OutputLowWaterMark > options.OutputHighWaterMark)
        {
            failures.Add($"{key}:OutputLowWaterMark ({options.OutputLowWaterMark}) must not be above {key}:OutputHighWaterMark ({options.OutputHighWaterMark}).");
        }

        if (options.OutputLimit is { } limit and not 0)
        {
            if (limit < 0)
            {
                failures.Add($"{key}:OutputLimit must be positive, or zero for no limit, not {limit}.");
            }
            else if (limit < options.OutputHighWaterMark)
            {
                failures.Add($"{key}:OutputLimit ({limit}) must not be below {key}:OutputHighWaterMark ({options.OutputHighWaterMark}).");
            }
        }

        if (options.DrainTimeout < TimeSpan.Zero)
        {
            failures.Add($"{key}:DrainTimeout must not be negative, not {options.DrainTimeout}.");
        }

        CheckTls(failures, key, options.Tls);
        return failures;
    }

    /// <summary>The problems with <see cref="ConservServerOptions.Tls"/>: files that are missing or do not load, settings without a certificate.</summary>
    private static void CheckTls(List<string> failures, string key, ConservTlsOptions tls)
    {
        if (!tls.Enabled)
        {
            if (tls.KeyPath is not null || tls.Password is not null || tls.ClientCertificateRequired || tls.ApplicationProtocols is { Length: > 0 })
            {
                failures.Add($"{key}:Tls has settings but no CertificatePath: set {key}:Tls:CertificatePath to turn TLS on, or remove the other Tls settings.");
            }

            return;
        }

        if (tls.HandshakeTimeout <= TimeSpan.Zero || tls.HandshakeTimeout.TotalMilliseconds > int.MaxValue)
        {
            failures.Add($"{key}:Tls:HandshakeTimeout must be positive and at most about 24 days, not {tls.HandshakeTimeout}.");
        }

        if (!File.Exists(tls.CertificatePath))
        {
            failures.Add($"{key}:Tls:CertificatePath names no file: '{tls.CertificatePath}'.");
            return;
        }

        if (tls.KeyPath is not null && !File.Exists(tls.KeyPath))
        {
            failures.Add($"{key}:Tls:KeyPath names no file: '{tls.KeyPath}'.");
            return;
        }

        try
        {
            using var certificate = tls.LoadCertificate();
            if (!certificate.HasPrivateKey)
            {
                failures.Add($"{key}:Tls: the certificate '{tls.CertificatePath}' has no private key; set {key}:Tls:KeyPath to its key file.");
            }
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException or IOException)
        {
            failures.Add($"{key}:Tls: the certificate '{tls.CertificatePath}'{(tls.KeyPath is null ? "" : $" with the key '{tls.KeyPath}'")} does not load: {e.Message}");
        }
    }

    /// <summary>
    /// The problems with <see cref="ConservServerOptions.Loops"/>, which depend on the host: how many loops its group
    /// has, and whether the driver is one instance (every event reaching one instance must run on one thread).
    /// </summary>
    internal static void CheckLoops(List<string> failures, string name, ConservServerOptions options, int groupLoops, ConservServerRegistration registration)
    {
        string key = ConservServerOptions.SectionPath(name);
        int loops = options.Loops;
        if (loops < 0)
        {
            failures.Add($"{key}:Loops must be at least 1, or 0 for every loop of the host's EventLoopGroup, not {loops}.");
            return;
        }

        if (loops > groupLoops)
        {
            failures.Add($"{key}:Loops is {loops}, but the host's EventLoopGroup has {groupLoops} loops: set at most {groupLoops} (0 for every loop), or register a larger EventLoopGroup before AddConservServer.");
        }

        // Loops = 0 counts as several even where the group has one loop: a setting must not pass on one machine and
        // fail on the next because that one has more processors.
        if (loops == 1)
        {
            return;
        }

        if (options.SharedDriver)
        {
            failures.Add($"{key}:Loops must be 1 with SharedDriver, not {loops}: the shared {registration.DriverType.Name} is one instance, and every event reaching one driver instance runs on one loop thread. Set DriverPerLoop instead (one instance per loop), or leave both false (a driver per connection), to spread the server over several loops.");
        }
        else if (registration.DriverLifetime() is ServiceLifetime.Singleton)
        {
            failures.Add($"{key}:Loops must be 1 when {registration.DriverType.Name} is registered as a singleton, not {loops}: the one instance would get events from several loop threads. Register it as scoped or transient (or not at all) to spread the server over several loops.");
        }
        else if (options.DriverPerLoop && registration.DriverLifetime() is ServiceLifetime.Scoped)
        {
            // Per-loop drivers come from the root provider, where a scoped service is made once and kept.
            failures.Add($"{key}:Loops must be 1 when {registration.DriverType.Name} is registered as scoped and DriverPerLoop is set, not {loops}: per-loop drivers are resolved from the root provider, where a scoped service is one instance for every loop. Register it as transient (or not at all).");
        }

        if (options.Port is null)
        {
            failures.Add($"{key}:Loops spreads the TCP listener, and there is none (no Port): a Unix-domain socket is one listener on one loop. Set Port, or Loops to 1.");
        }
    }

    /// <summary>
    /// The runtime's settings for options that passed <see cref="Check"/>, for one of <paramref name="listeners"/>
    /// listeners sharing one port: with more than one, SO_REUSEPORT is set and the connection cap divided between them.
    /// </summary>
    internal static TcpServerOptions ToServerOptions(ConservServerOptions options, int listeners = 1)
    {
        var server = new TcpServerOptions
        {
            Backlog = options.Backlog,
            MaxConnectionsPerAddress = options.MaxConnectionsPerAddress,
            IdleTimeout = options.IdleTimeout is { } idle && idle > TimeSpan.Zero ? idle : null,
            NoDelay = options.NoDelay,
            KeepAlive = options.KeepAlive,
            AllowHalfOpen = options.AllowHalfOpen,
            // The limit first: the high mark must never be above it, whatever order the values arrive in.
            OutputLimit = options.OutputLimit is { } limit and > 0 ? limit : null,
            OutputHighWaterMark = options.OutputHighWaterMark,
            OutputLowWaterMark = options.OutputLowWaterMark,
        };
        if (options.MaxConnections is { } max)
        {
            server.MaxConnections = max;
        }

        if (listeners > 1)
        {
            // As TcpServer.Listen does for a group: the cap holds for the server as a whole, the default one too.
            server.ReusePort = true;
            server.MaxConnections = Math.Max(1, (int)Math.Ceiling(server.MaxConnections / (double)listeners));
        }

        if (options.UnixSocketMode is { } mode && TryParseMode(mode, out var parsed))
        {
            server.UnixSocketMode = parsed;
        }

        if (options.Tls.Enabled)
        {
            server.Tls = options.Tls.ToServerAuthenticationOptions(options.Tls.LoadCertificate());
            server.TlsHandshakeTimeout = options.Tls.HandshakeTimeout;
        }

        return server;
    }

    /// <summary>The text format named by <see cref="ConservServerOptions.TextEncoding"/>: null for raw bytes.</summary>
    internal static bool TryGetEncoding(string? name, out Encoding? encoding)
    {
        encoding = null;
        if (string.IsNullOrWhiteSpace(name) || name.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (name.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || name.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            encoding = ExternalFormat.Utf8; // the runtime's default: no byte-order mark
            return true;
        }

        try
        {
            encoding = Encoding.GetEncoding(name);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool IsBindableHost(string? host) =>
        host is "*" || string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(host, out _);

    private static bool TryParseMode(string text, out UnixFileMode mode)
    {
        mode = default;
        if (text.Length is 0 or > 4)
        {
            return false;
        }

        int value = 0;
        foreach (char c in text)
        {
            if (c is < '0' or > '7')
            {
                return false;
            }

            value = value * 8 + (c - '0');
        }

        mode = (UnixFileMode)value;
        return true;
    }

    private static void AtLeast(List<string> failures, string key, string property, long value, long minimum)
    {
        if (value < minimum)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{key}:{property} must be at least {minimum}, not {value}."));
        }
    }
}
