using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Reliability.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Reliability.Tests;

/// <summary>
/// Ten thousand clients connected to the Echo sample (a child process) at the same time, each echoing a few
/// messages of its own pseudo-random bytes, every byte verified; after they close, the server's sockets are
/// back to its baseline.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class ConcurrentConnectionsTests(ITestOutputHelper log)
{
    private const int Connections = 10_000;
    private const int MessagesPerConnection = 3;
    private const int MaxMessageBytes = 4096;

    // Echo listens with the default backlog (1024): a connect counts as done only when its first message has
    // come back, so at most this many connections are ever queued unaccepted.
    private const int MaxConnectsInFlight = 256;

    // How many connections exchange their later messages at once (all stay open meanwhile).
    private const int MaxExchangesInFlight = 1_000;

    private const int Scenario = 1;
    private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Ten_thousand_connections_held_at_once_each_echo_checksummed_messages_and_the_server_gives_back_every_socket()
    {
        var report = new ReliabilityReport(nameof(ConcurrentConnectionsTests), log);
        await report.RunAsync(async () =>
        {
            using var deadline = new Deadline(s_limit);
            await using var server = await ChildServer.StartEchoAsync(log, deadline);
            var baseline = server.Baseline;
            report.Add("connections_requested", Connections);
            report.Add("server_baseline", baseline);

            long bytesVerified = 0;
            int firstMessagesDone = 0;
            int exchangesDone = 0;

            // 1. Connect all, in a sliding window; each connection's first message must come back before it counts.
            using var clients = await deadline.RunAsync(
                "connecting 10,000 clients",
                token => MassConnector.ConnectAsync(server.EndPoint, Connections, MaxConnectsInFlight,
                    async (i, socket, t) =>
                    {
                        Interlocked.Add(ref bytesVerified, await ExchangeAsync(socket, i, message: 0, t));
                        Interlocked.Increment(ref firstMessagesDone);
                    },
                    stopOnFirstError: false, token),
                () => $"{Volatile.Read(ref firstMessagesDone)} of {Connections} connected and echoed their first message");
            report.Add("connect_phase_s", Math.Round(clients.Elapsed.TotalSeconds, 2));
            report.Add("connects_peak_in_flight", clients.PeakInFlight);
            report.Add("connect_failures", clients.Failed);
            Assert.True(clients.Failed == 0, clients.DescribeFailures());

            // 2. All of them are open now, on both sides.
            int heldByClients = clients.CountOpen();
            var (atPeak, serverHoldsAll) = await ProcFs.WaitUntilAsync(server.Pid, f => f.Sockets >= baseline.Sockets + Connections, TimeSpan.FromSeconds(10));
            report.Add("connections_held_at_once_client_side", heldByClients);
            report.Add("connections_held_at_once_server_side", atPeak.Sockets - baseline.Sockets);
            report.Add("server_all_connected", atPeak);
            Assert.Equal(Connections, heldByClients);
            Assert.True(serverHoldsAll, $"the server should hold {Connections} client sockets besides its {baseline.Sockets} idle ones; it holds {atPeak.Sockets} in all ({atPeak})");

            // 3. Every connection echoes its other messages while all stay open.
            await deadline.RunAsync(
                "echoing the remaining messages on every connection",
                token => Parallel.ForEachAsync(clients.Open(), new ParallelOptions { MaxDegreeOfParallelism = MaxExchangesInFlight, CancellationToken = token },
                    async (client, t) =>
                    {
                        for (int m = 1; m < MessagesPerConnection; m++)
                        {
                            Interlocked.Add(ref bytesVerified, await ExchangeAsync(client.Socket, client.Index, m, t));
                        }

                        Interlocked.Increment(ref exchangesDone);
                    }),
                () => $"{Volatile.Read(ref exchangesDone)} of {Connections} connections done; {Interlocked.Read(ref bytesVerified)} bytes verified");

            long expectedBytes = Enumerable.Range(0, Connections).Sum(i => Enumerable.Range(0, MessagesPerConnection).Sum(m => (long)MessageSize(i, m)));
            int stillHeld = clients.CountOpen();
            var afterExchange = server.Snapshot();
            report.Add("bytes_verified", Interlocked.Read(ref bytesVerified));
            report.Add("connections_held_after_exchange", stillHeld);
            report.Add("server_after_exchange", afterExchange);
            Assert.Equal(expectedBytes, Interlocked.Read(ref bytesVerified));
            Assert.Equal(Connections, stillHeld);
            Assert.True(afterExchange.Sockets >= baseline.Sockets + Connections, $"the server dropped connections during the exchange: {afterExchange}");

            // 4. Close them all in order; the server must close its side of every one.
            clients.CloseAll(reset: false);
            var after = await server.WaitForIdleAsync(baseline.Sockets, "after 10,000 clients closed");
            report.Add("server_after_close", after);
            report.Add("server_lines_printed", server.Process.LinesSeen - server.BaselineLines);
            report.Add("server_stderr_lines", server.Process.ErrorLinesSeen);
            Assert.Equal(baseline.Sockets, after.Sockets);
            Assert.True(after.Descriptors <= baseline.Descriptors + ChildServer.DescriptorSlack,
                $"the server holds {after.Descriptors} descriptors after the clients closed; {baseline.Descriptors} at the baseline");
            Assert.True(server.Process.ErrorLinesSeen == 0, $"the server reported errors on stderr:\n{server.Process.Output}");
            server.AssertRunning("after the scenario");
        });
    }

    /// <summary>Message <paramref name="message"/> of connection <paramref name="connection"/>: 1 to 4096 bytes, chosen by the connection's pattern.</summary>
    private static int MessageSize(int connection, int message) => PatternOf(connection).Choose(message, 1, MaxMessageBytes + 1);

    private static Pattern PatternOf(int connection) => new(Pattern.SeedFor(Scenario, connection));

    /// <summary>Sends one message (the next stretch of the connection's pattern) and verifies its echo.</summary>
    private static async Task<long> ExchangeAsync(System.Net.Sockets.Socket socket, int connection, int message, CancellationToken cancellationToken)
    {
        var pattern = PatternOf(connection);
        long offset = 0;
        for (int m = 0; m < message; m++)
        {
            offset += MessageSize(connection, m);
        }

        int size = MessageSize(connection, message);
        var verifier = new PatternVerifier(pattern, offset);
        await SocketIo.SendPatternAsync(socket, pattern, offset, size, cancellationToken);
        await SocketIo.ReceiveVerifiedAsync(socket, verifier, size, cancellationToken);
        return verifier.Verified;
    }
}
