using System;
using System.Linq;
using System.Net.Security;
using System.Net.Sockets;
using Conserv.Bench.Servers;

namespace Conserv.Bench;

/// <summary>
/// The TLS counterpart of <see cref="AllocationProbe"/>: bytes allocated on the loop thread per 32 B echo through
/// <see cref="TcpServerOptions.Tls"/>, with an <see cref="SslStream"/> client doing blocking round trips. It reports,
/// it does not judge: the plain probe is the one that must stay at zero.
/// </summary>
public static class TlsAllocationProbe
{
    /// <summary>Runs the probe and prints bytes per echo and the types sampled.</summary>
    /// <param name="roundTrips">Round trips measured.</param>
    /// <returns>0.</returns>
    public static int Run(int roundTrips)
    {
        using var certificate = TlsCertificate.Load(null, null);
        var options = new TcpServerOptions
        {
            Tls = new SslServerAuthenticationOptions { ServerCertificateContext = SslStreamCertificateContext.Create(certificate, null) },
        };
        var server = new ConservEchoServer(groupLoops: null, name: "conserv-tls", serverOptions: options);
        server.StartAsync(0).GetAwaiter().GetResult();
        try
        {
            using var tcp = new TcpClient { NoDelay = true };
            tcp.Connect("127.0.0.1", server.Port);
            // The probe measures the server; the client accepts the self-signed certificate it was just given.
            using var ssl = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
            ssl.AuthenticateAsClient("localhost");
            var message = new byte[32];
            var reply = new byte[32];
            void RoundTrip()
            {
                ssl.Write(message);
                for (int got = 0; got < reply.Length;)
                {
                    int n = ssl.Read(reply, got, reply.Length - got);
                    got += n > 0 ? n : throw new InvalidOperationException("The server closed the connection.");
                }
            }

            for (int i = 0; i < 20_000; i++)
            {
                RoundTrip(); // warm: tiering, pools
            }

            using var listener = new AllocationTypeListener();
            long before = AllocationProbe.OnLoop(server.Loop!, GC.GetAllocatedBytesForCurrentThread);
            for (int i = 0; i < roundTrips; i++)
            {
                RoundTrip();
            }

            long after = AllocationProbe.OnLoop(server.Loop!, GC.GetAllocatedBytesForCurrentThread);
            Console.WriteLine($"TLS echo (EchoDriver, TcpServerOptions.Tls), 32 B x {roundTrips:N0} echoes: loop thread {after - before:N0} B " +
                $"({(double)(after - before) / roundTrips:F3} B/echo); types sampled in the whole process (the client's too): " +
                string.Join(", ", listener.Types().Select(t => $"{t.Type} x{t.Ticks}")));
            return 0;
        }
        finally
        {
            server.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
        }
    }
}
