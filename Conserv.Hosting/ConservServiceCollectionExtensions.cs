using System;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using Conserv;
using Conserv.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Conserv servers with the .NET generic host.</summary>
public static class ConservServiceCollectionExtensions
{
    /// <summary>
    /// Adds a server called <paramref name="name"/> whose connections are served by <typeparamref name="TDriver"/>. It
    /// starts with the host (a bind error fails the host's start) and stops with it, draining gracefully.
    /// </summary>
    /// <remarks>
    /// <para>Options: <paramref name="configure"/> runs first (defaults in code), then the configuration section
    /// <c>Conserv:Servers:{name}</c> is bound over them (so <c>appsettings.json</c>, environment variables and the
    /// command line have the last word; a key the options do not have is an error), then whatever is chained on the
    /// returned builder. They are validated when the host starts: an <see cref="OptionsValidationException"/> names
    /// each bad key.</para>
    /// <para>The driver: per connection (the default), <typeparamref name="TDriver"/> is resolved from a new
    /// dependency-injection scope when the connection is accepted, and the scope is disposed after its close event;
    /// register it as scoped or transient, or leave it unregistered and it is constructed with its constructor's
    /// parameters taken from the scope. With <see cref="ConservServerOptions.SharedDriver"/>, one instance (resolved
    /// from the root provider) receives every event of the server and its connections; with
    /// <see cref="ConservServerOptions.DriverPerLoop"/>, one instance per loop receives those of its loop.</para>
    /// <para>The loops: one by default; <see cref="ConservServerOptions.Loops"/> spreads a server with a driver per
    /// connection or per loop over several loops of the host's <see cref="EventLoopGroup"/> (one TCP listener per loop
    /// on one port).</para>
    /// </remarks>
    /// <typeparam name="TDriver">The driver: a <c>partial class</c> with attributed handlers, or a hand-written <see cref="IEventDriver"/>.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The server's name: the last part of its configuration section, and the key of <see cref="ConservServers"/>.</param>
    /// <param name="configure">Sets defaults in code (configuration overrides them), or null.</param>
    /// <returns>The server's options builder, for more configuration or validation.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or already used by another server.</exception>
    public static OptionsBuilder<ConservServerOptions> AddConservServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TDriver>(
        this IServiceCollection services, string name, Action<ConservServerOptions>? configure = null)
        where TDriver : class, IEventDriver
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A server name is a configuration key and cannot contain ':' ('{name}').", nameof(name));
        }

        if (services.Any(d => d.ServiceType == typeof(ConservServerRegistration) && d.ImplementationInstance is ConservServerRegistration r && r.Name == name))
        {
            throw new ArgumentException($"A Conserv server named '{name}' is already registered.", nameof(name));
        }

        AddConservHostingCore(services);
        // The lifetime is looked up when the host starts (the collection is read-only by then, and complete).
        services.AddSingleton(new ConservServerRegistration(name, typeof(TDriver), DriverFactory<TDriver>(),
            () => services.LastOrDefault(d => d.ServiceType == typeof(TDriver) && !d.IsKeyedService)?.Lifetime));

        var options = services.AddOptions<ConservServerOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        string section = ConservServerOptions.SectionPath(name);
        options.Configure<IServiceProvider>((o, provider) =>
            provider.GetService<IConfiguration>()?.GetSection(section).Bind(o, binder => binder.ErrorOnUnknownConfiguration = true));
        options.ValidateOnStart();
        return options;
    }

    /// <summary>
    /// Adds a server named after <typeparamref name="TDriver"/> (its type name), configured by <paramref name="configure"/>
    /// and then the configuration section <c>Conserv:Servers:{TypeName}</c>. See
    /// <see cref="AddConservServer{TDriver}(IServiceCollection, string, Action{ConservServerOptions}?)"/>.
    /// </summary>
    /// <typeparam name="TDriver">The driver.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets defaults in code.</param>
    /// <returns>The server's options builder.</returns>
    public static OptionsBuilder<ConservServerOptions> AddConservServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TDriver>(
        this IServiceCollection services, Action<ConservServerOptions> configure)
        where TDriver : class, IEventDriver =>
        services.AddConservServer<TDriver>(typeof(TDriver).Name, configure);

    /// <summary>
    /// What every hosted server shares: the <see cref="EventLoopGroup"/> they run on (one loop per processor, stopped
    /// when the host is disposed; register your own <see cref="EventLoopGroup"/> singleton first to choose), the
    /// <see cref="ConservServers"/> that starts and stops them, and the options validation.
    /// </summary>
    private static void AddConservHostingCore(IServiceCollection services)
    {
        services.AddOptions();
        services.TryAddSingleton(provider => new EventLoopGroup(0, new EventLoopOptions
        {
            ThreadName = "Conserv host loop",
            LoggerFactory = provider.GetService<ILoggerFactory>(), // the runtime's own events (ids 100-299) through the host's logging
        }));
        services.TryAddSingleton(provider => new ConservServers(
            provider.GetServices<ConservServerRegistration>(),
            provider.GetRequiredService<IOptionsMonitor<ConservServerOptions>>(),
            provider,
            provider.GetRequiredService<EventLoopGroup>(),
            provider.GetService<ILoggerFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ConservServersHostedService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConservServerOptions>, ConservServerOptionsValidator>());
    }

    /// <summary>
    /// Makes drivers: the registered service when there is one, else a new instance through a constructor factory
    /// built once (on first use) instead of finding the constructor again for every connection.
    /// </summary>
    private static Func<IServiceProvider, (IEventDriver Driver, bool Owned)> DriverFactory<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TDriver>()
        where TDriver : class, IEventDriver
    {
        ObjectFactory<TDriver>? construct = null;
        return provider => provider.GetService<TDriver>() is { } registered
            ? (registered, false)
            : ((construct ??= ActivatorUtilities.CreateFactory<TDriver>(Type.EmptyTypes))(provider, null), true);
    }
}
