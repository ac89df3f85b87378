using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Conserv.Hosting.Tests;

/// <summary>A client socket owned by a hosted service, on the host's loops (the pattern docs/hosting.md shows).</summary>
public sealed partial class ClientSocketTests
{
    [Fact]
    public async Task A_background_service_connects_a_client_socket_gets_its_reply_and_closes_it_when_the_host_stops()
    {
        using var host = TestHost.Build(
            new Dictionary<string, string?> { ["Conserv:Servers:echo:Port"] = "0" },
            services =>
            {
                services.AddConservServer<EchoConnection>("echo");
                services.AddSingleton<PingService>();
                services.AddHostedService(provider => provider.GetRequiredService<PingService>()); // after the server: it listens first
            });

        await host.StartBoundedAsync();
        var ping = host.Services.GetRequiredService<PingService>();
        Assert.Equal("ping\n", await ping.Reply.Task.WaitAsync(TestHost.Timeout));
        var socket = await ping.Socket.Task.WaitAsync(TestHost.Timeout);
        Assert.False(socket.IsClosed);

        await host.StopBoundedAsync();

        Assert.True(socket.IsClosed, "the service closes its socket when the host stops");
        Assert.Null(await ping.CloseCause.Task.WaitAsync(TestHost.Timeout)); // an orderly close, not an error
    }

    /// <summary>Connects to the hosted echo server on the host's loops and keeps the connection until the host stops.</summary>
    public sealed class PingService(EventLoopGroup loops, ConservServers servers) : BackgroundService
    {
        public TaskCompletionSource<string> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<Exception?> CloseCause { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<TcpSocket> Socket { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            int port = servers["echo"][0].Port!.Value;
            var socket = TcpSocket.Connect(new PingClient(this), "127.0.0.1", port, loop: loops.Next());
            Socket.TrySetResult(socket);
            try
            {
                await Task.Delay(Timeout.Infinite, stoppingToken);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                socket.Close(); // sends what is queued, then closes
                await socket.Closed.WaitAsync(TestHost.Timeout, CancellationToken.None);
            }
        }
    }

    /// <summary>The client's driver: says ping once connected, reports the reply and how the socket closed.</summary>
    public sealed partial class PingClient(PingService service)
    {
        [OnSocketConnect]
        private static void Connected(TcpSocket socket) => socket.Write("ping\n");

        [OnSocketData]
        private void Received(string text) => service.Reply.TrySetResult(text);

        [OnSocketError]
        private void Failed(Exception error) => service.Reply.TrySetException(error);

        [OnSocketClose]
        private void Closed(Exception? cause) => service.CloseCause.TrySetResult(cause);
    }
}
