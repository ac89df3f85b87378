using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace Conserv;

/// <summary>
/// One listener per loop of an <see cref="EventLoopGroup"/> on one shared port (SO_REUSEPORT), each with its
/// own driver instance: the kernel spreads connections between them, and every driver instance still sees
/// all its events on one thread.
/// </summary>
public sealed class TcpServerGroup : IAsyncDisposable
{
    private readonly TcpServer[] _servers;

    internal TcpServerGroup(TcpServer[] servers) => _servers = servers;

    /// <summary>The servers, one per loop.</summary>
    public IReadOnlyList<TcpServer> Servers => _servers;

    /// <summary>The port all servers listen on.</summary>
    public int? Port => _servers[0].Port;

    /// <summary>Connected clients across all servers.</summary>
    public int ClientCount => _servers.Sum(s => s.ClientCount);

    /// <summary>Completes when every server has closed.</summary>
    public Task Closed => Task.WhenAll(_servers.Select(s => s.Closed));

    /// <summary>Pauses every server (see <see cref="TcpServer.Pause"/>).</summary>
    /// <param name="timeout">When to resume by itself, or null.</param>
    public void Pause(TimeSpan? timeout = null)
    {
        foreach (var server in _servers)
        {
            server.Pause(timeout);
        }
    }

    /// <summary>Resumes every server.</summary>
    public void Resume()
    {
        foreach (var server in _servers)
        {
            server.Resume();
        }
    }

    /// <summary>Closes every server (see <see cref="TcpServer.Close()"/>).</summary>
    public void Close()
    {
        foreach (var server in _servers)
        {
            server.Close();
        }
    }

    /// <summary>Closes every server with a drain period (see <see cref="TcpServer.Close(TimeSpan)"/>).</summary>
    /// <param name="drainTimeout">How long clients may take to finish before they are aborted.</param>
    public void Close(TimeSpan drainTimeout)
    {
        foreach (var server in _servers)
        {
            server.Close(drainTimeout);
        }
    }

    /// <summary>Closes every server and waits for their close events.</summary>
    /// <returns>A task that completes once all have closed.</returns>
    public ValueTask DisposeAsync()
    {
        Close();
        return new ValueTask(Closed);
    }
}
