using System;
using System.Threading.Tasks;

namespace Conserv.Bench.Servers;

/// <summary>A loopback echo server under test: every byte it reads it writes back, in order.</summary>
public interface IEchoServer : IAsyncDisposable
{
    /// <summary>The implementation's short name, as given to <see cref="EchoServerFactory.Create"/>.</summary>
    string Name { get; }

    /// <summary>The bound loopback port, once <see cref="StartAsync"/> has completed.</summary>
    int Port { get; }

    /// <summary>Binds 127.0.0.1:<paramref name="port"/> (0 picks a free port) and starts serving.</summary>
    Task StartAsync(int port);
}
