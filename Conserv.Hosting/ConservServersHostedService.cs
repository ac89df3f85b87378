using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;

namespace Conserv.Hosting;

/// <summary>Starts and stops <see cref="ConservServers"/> with the host (kept apart so the public type has no lifecycle methods).</summary>
internal sealed class ConservServersHostedService(ConservServers servers) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => servers.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => servers.StopAsync(cancellationToken);
}
