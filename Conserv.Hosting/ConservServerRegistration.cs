using System;
using Microsoft.Extensions.DependencyInjection;

namespace Conserv.Hosting;

/// <summary>One server added with <c>AddConservServer</c>: its name and how to make its driver.</summary>
internal sealed class ConservServerRegistration
{
    public ConservServerRegistration(string name, Type driverType, Func<IServiceProvider, (IEventDriver Driver, bool Owned)> createDriver,
        Func<ServiceLifetime?> driverLifetime)
    {
        Name = name;
        DriverType = driverType;
        CreateDriver = createDriver;
        DriverLifetime = driverLifetime;
    }

    /// <summary>The server's name: its options' name and its configuration section's last part.</summary>
    public string Name { get; }

    /// <summary>The driver type, for messages.</summary>
    public Type DriverType { get; }

    /// <summary>
    /// Makes a driver from a service provider (a connection's scope, or the root for a shared driver): the registered
    /// service when there is one (the container owns it), else a new instance whose constructor takes services
    /// (<c>Owned</c>: whoever asked disposes it).
    /// </summary>
    public Func<IServiceProvider, (IEventDriver Driver, bool Owned)> CreateDriver { get; }

    /// <summary>
    /// The lifetime the driver type is registered with, or null when it is not registered. Asked when the host
    /// starts, so a registration made after <c>AddConservServer</c> counts: a singleton is one instance, which must
    /// not be spread over several loops.
    /// </summary>
    public Func<ServiceLifetime?> DriverLifetime { get; }
}
