using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conserv.Hosting.Tests.Support;

/// <summary>A generic host as an application builds it (configuration, DI, logging), without files or the console.</summary>
public static class TestHost
{
    /// <summary>The bound on every wait in these tests.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Builds a host whose configuration is <paramref name="settings"/> and whose services <paramref name="configure"/> adds.</summary>
    /// <param name="settings">Configuration keys and values, as appsettings.json would give them.</param>
    /// <param name="configure">Adds the servers and services.</param>
    /// <param name="log">Collects what is logged, or null.</param>
    /// <returns>The host, not started.</returns>
    public static IHost Build(IDictionary<string, string?> settings, Action<IServiceCollection> configure, LogCollector? log = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        if (log is not null)
        {
            builder.Logging.AddProvider(log);
        }

        configure(builder.Services);
        return builder.Build();
    }

    /// <summary>Starts <paramref name="host"/>, bounded.</summary>
    /// <param name="host">The host.</param>
    /// <returns>A task that completes when it has started.</returns>
    public static async Task StartBoundedAsync(this IHost host)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        await host.StartAsync(cancel.Token).WaitAsync(Timeout);
    }

    /// <summary>Stops <paramref name="host"/> (the host's own shutdown timeout applies), waiting at most <see cref="Timeout"/>.</summary>
    /// <param name="host">The host.</param>
    /// <returns>A task that completes when it has stopped.</returns>
    public static Task StopBoundedAsync(this IHost host) => host.StopAsync().WaitAsync(Timeout);
}
