using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Reliability.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Reliability.Tests;

/// <summary>
/// A peer that sends but never reads must not grow the server: the Echo sample stops reading it once its
/// output queue passes the high water mark (TCP then throttles the sender), and the KeyValue sample, framed one
/// command per call, stops delivering its commands there too, so it queues about one reply. Other clients go on
/// meanwhile.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class NonReadingPeerTests(ITestOutputHelper log)
{
    private const long OutputLimit = 32L * 1024 * 1024;
    private const long GiB = 1024L * 1024 * 1024;
    private const int Scenario = 10;
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_stall = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Echo_pushes_back_on_a_client_that_sends_a_gibibyte_and_never_reads_while_another_client_is_served()
    {
        var report = new ReliabilityReport(nameof(NonReadingPeerTests) + ".Echo", log);
        await report.RunAsync(async () =>
        {
            using var deadline = new Deadline(s_limit);
            await using var server = await ChildServer.StartEchoAsync(log, deadline);
            var baseline = server.Baseline;
            report.Add("server_baseline", baseline);

            using var slow = SocketIo.NewClient(server.EndPoint);
            slow.ReceiveBufferSize = 4096;
            slow.SendBufferSize = 64 * 1024;
            await slow.ConnectAsync(server.EndPoint, deadline.Token);
            using var good = SocketIo.NewClient(server.EndPoint);
            await good.ConnectAsync(server.EndPoint, deadline.Token);

            long goodVerified = 0;
            long goodExchanges = 0;
            double worstEchoMs = 0;
            var goodPattern = new Pattern(Pattern.SeedFor(Scenario, 1));
            async Task EchoOnceAsync(CancellationToken token)
            {
                var clock = Stopwatch.StartNew();
                long offset = goodVerified;
                var verifier = new PatternVerifier(goodPattern, offset);
                await SocketIo.SendPatternAsync(good, goodPattern, offset, 4096, token);
                await SocketIo.ReceiveVerifiedAsync(good, verifier, 4096, token);
                goodVerified += verifier.Verified;
                goodExchanges++;
                worstEchoMs = Math.Max(worstEchoMs, clock.Elapsed.TotalMilliseconds);
            }

            await EchoOnceAsync(deadline.Token);

            var sent = new StrongBox<long>();
            (long Sent, bool Stalled) fill = default;
            var sendClock = Stopwatch.StartNew();
            await using (var sampler = new PeakSampler(server.Pid))
            {
                await deadline.RunAsync(
                    "sending up to 1 GiB without reading, with another client echoing meanwhile",
                    async token =>
                    {
                        var sender = Task.Factory.StartNew(() => RawIo.SendUntilStalled(slow, GiB, s_stall, sent, token), token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
                        while (!sender.IsCompleted)
                        {
                            await EchoOnceAsync(token);
                            await Task.WhenAny(sender, Task.Delay(20, token));
                        }

                        fill = await sender;
                    },
                    () => $"{Volatile.Read(ref sent.Value)} bytes accepted by the kernel so far; {goodExchanges} echoes on the other client");
                report.Add("send_phase_s", Math.Round(sendClock.Elapsed.TotalSeconds, 2));
                report.Add("bytes_accepted_before_pushback", fill.Sent);
                report.Add("sends_stalled", fill.Stalled);

                // Pushed back: the slow client is stuck, and the other one is still served, 50 more times.
                await deadline.RunAsync(
                    "echoing on the other client while the slow one is stuck",
                    async token =>
                    {
                        for (int i = 0; i < 50; i++)
                        {
                            await EchoOnceAsync(token);
                        }
                    },
                    () => $"{goodExchanges} echoes");
                var stuck = server.Snapshot();
                report.Add("server_while_stuck", stuck);
                report.Add("server_peak_sampled_rss_mib", Math.Round(sampler.PeakRssMiB, 1));
                report.Add("server_rss_growth_mib", Math.Round((sampler.PeakRssKiB - baseline.RssKiB) / 1024.0, 1));
                report.Add("other_client_echoes", goodExchanges);
                report.Add("other_client_bytes_verified", goodVerified);
                report.Add("other_client_worst_echo_ms", Math.Round(worstEchoMs, 1));

                Assert.True(fill.Stalled, $"the server took all of 1 GiB from a client that never reads ({fill.Sent} bytes): no push-back");
                Assert.True(fill.Sent < 64L * 1024 * 1024,
                    $"the kernel and the server took {fill.Sent / 1048576.0:F1} MiB before pushing back; expected a few MiB (socket buffers plus the 64 KiB high water mark)");
                Assert.True(sampler.PeakRssKiB - baseline.RssKiB < OutputLimit / 1024,
                    $"the server's VmRSS grew by {(sampler.PeakRssKiB - baseline.RssKiB) / 1024.0:F1} MiB (peak {sampler.PeakRssMiB:F1} MiB, baseline {baseline.RssMiB:F1} MiB); expected less than the 32 MiB output limit");
                Assert.Equal(baseline.Sockets + 2, stuck.Sockets);
                Assert.Equal(goodVerified, goodExchanges * 4096);
            }

            SocketIo.Reset(slow);
            SocketIo.CloseOrderly(good);
            var after = await server.WaitForIdleAsync(baseline.Sockets, "after the slow client reset");
            report.Add("server_after_close", after);
            report.Add("server_stderr_lines", server.Process.ErrorLinesSeen);
            Assert.True(after.Descriptors <= baseline.Descriptors + ChildServer.DescriptorSlack,
                $"the server holds {after.Descriptors} descriptors after the clients closed; {baseline.Descriptors} at the baseline");
            Assert.True(server.Process.ErrorLinesSeen == 0, $"the server reported errors on stderr:\n{server.Process.Output}");
            server.AssertRunning("after the scenario");
        });
    }

    [Fact]
    public async Task KeyValue_stops_answering_a_client_that_pipelines_600_MiB_of_replies_and_never_reads_and_serves_the_others()
    {
        const int ValueBytes = 1024 * 1024;
        const int Gets = 600;
        var report = new ReliabilityReport(nameof(NonReadingPeerTests) + ".KeyValue", log);
        await report.RunAsync(async () =>
        {
            using var deadline = new Deadline(s_limit);
            await using var server = await ChildServer.StartAsync("KeyValue", log, deadline, null, WarmUpKeyValueAsync, "--host", "127.0.0.1", "--port", "0");
            var baseline = server.Baseline;
            report.Add("server_baseline", baseline);

            var value = new Pattern(Pattern.SeedFor(Scenario, 2)).ToArray(0, ValueBytes);
            using var first = SocketIo.NewClient(server.EndPoint);
            await first.ConnectAsync(server.EndPoint, deadline.Token);
            await SocketIo.SendAllAsync(first, Command("SET", "big"u8.ToArray(), value), deadline.Token);
            Assert.Equal("+OK\r\n", Encoding.ASCII.GetString(await RawIo.ReadExactlyAsync(first, 5, deadline.Token)));
            var withValue = server.Snapshot();
            report.Add("server_with_1mib_value", withValue);

            using var greedy = SocketIo.NewClient(server.EndPoint);
            greedy.ReceiveBufferSize = 4096;
            await greedy.ConnectAsync(server.EndPoint, deadline.Token);
            var get = Command("GET", "big"u8.ToArray());
            var requests = Enumerable.Repeat(get, Gets).SelectMany(b => b).ToArray();
            report.Add("request_bytes", requests.Length);
            report.Add("reply_bytes_asked", (long)Gets * (ValueBytes + 13));

            await using (var sampler = new PeakSampler(server.Pid))
            {
                await SocketIo.SendAllAsync(greedy, requests, deadline.Token);

                // Commands are delivered one at a time, and delivery stops once the replies queued pass the high
                // water mark: the commands already read wait, the rest waits in the kernel. The server queues about
                // one reply, not the output limit, and holds the client until it reads or its idle time-out ends it.
                await Task.Delay(s_stall, deadline.Token);
                var holding = server.Snapshot();
                report.Add("server_holding_non_reader", holding);
                report.Add("server_peak_sampled_rss_mib", Math.Round(sampler.PeakRssMiB, 1));
                report.Add("server_rss_growth_mib", Math.Round((sampler.PeakRssKiB - baseline.RssKiB) / 1024.0, 1));
                Assert.True(holding.Sockets == baseline.Sockets + 2, $"both clients should still be connected: {holding} (baseline {baseline})");
                Assert.True(sampler.PeakRssKiB - baseline.RssKiB < 16 * 1024,
                    $"the server's VmRSS peaked at {sampler.PeakRssMiB:F1} MiB, {(sampler.PeakRssKiB - baseline.RssKiB) / 1024.0:F1} MiB above its baseline {baseline.RssMiB:F1} MiB; expected about one 1 MiB reply queued (below 16 MiB), not the 32 MiB output limit");
            }

            // The first client is still served: the whole value, byte for byte.
            await SocketIo.SendAllAsync(first, get, deadline.Token);
            string header = $"${ValueBytes}\r\n";
            var reply = await deadline.RunAsync("GET big on the first client", token => RawIo.ReadExactlyAsync(first, header.Length + ValueBytes + 2, token), () => "reading");
            Assert.Equal(header, Encoding.ASCII.GetString(reply, 0, header.Length));
            Assert.True(reply.AsSpan(header.Length, ValueBytes).SequenceEqual(value), "the first client's GET returned a different value");
            Assert.Equal("\r\n", Encoding.ASCII.GetString(reply, header.Length + ValueBytes, 2));
            report.Add("first_client_get_while_the_other_is_held_bytes", reply.Length);

            SocketIo.CloseOrderly(first);
            SocketIo.Reset(greedy);
            var after = await server.WaitForIdleAsync(baseline.Sockets, "after both clients closed");
            report.Add("server_after_close", after);
            Assert.True(after.Descriptors <= baseline.Descriptors + ChildServer.DescriptorSlack,
                $"the server holds {after.Descriptors} descriptors after the clients closed; {baseline.Descriptors} at the baseline");

            // The held client's queue was handed back when it reset: the server is near its baseline again (the stored 1 MiB
            // value, its copy in the first client's reply and the pools are the rest).
            Assert.True(after.RssKiB - baseline.RssKiB < 16 * 1024,
                $"the server's VmRSS is {after.RssMiB:F1} MiB after the clients left, {(after.RssKiB - baseline.RssKiB) / 1024.0:F1} MiB above its baseline {baseline.RssMiB:F1} MiB; a dropped queue's memory should go back");
            server.AssertRunning("after the scenario");
        });
    }

    /// <summary>A RESP2 command: an array of bulk strings.</summary>
    private static byte[] Command(string name, params byte[][] args)
    {
        var text = new System.IO.MemoryStream();
        void Put(string s) => text.Write(Encoding.ASCII.GetBytes(s));
        Put($"*{args.Length + 1}\r\n${name.Length}\r\n{name}\r\n");
        foreach (var arg in args)
        {
            Put($"${arg.Length}\r\n");
            text.Write(arg);
            Put("\r\n");
        }

        return text.ToArray();
    }

    private static async Task WarmUpKeyValueAsync(IPEndPoint endPoint, CancellationToken token)
    {
        for (int round = 0; round < 3; round++)
        {
            using var socket = SocketIo.NewClient(endPoint);
            await socket.ConnectAsync(endPoint, token);
            var value = new Pattern(Pattern.SeedFor(Scenario, 100 + round)).ToArray(0, 64 * 1024);
            await SocketIo.SendAllAsync(socket, Command("SET", "warm"u8.ToArray(), value), token);
            Assert.Equal("+OK\r\n", Encoding.ASCII.GetString(await RawIo.ReadExactlyAsync(socket, 5, token)));
            await SocketIo.SendAllAsync(socket, Command("GET", "warm"u8.ToArray()), token);
            var reply = await RawIo.ReadExactlyAsync(socket, $"${value.Length}\r\n".Length + value.Length + 2, token);
            Assert.True(reply.AsSpan($"${value.Length}\r\n".Length, value.Length).SequenceEqual(value));
            await SocketIo.SendAllAsync(socket, Command("DEL", "warm"u8.ToArray()), token);
            await RawIo.ReadExactlyAsync(socket, 4, token); // :1\r\n
        }
    }
}
