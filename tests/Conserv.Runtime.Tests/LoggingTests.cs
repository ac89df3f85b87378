using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Conserv.Runtime.Tests;

/// <summary>The runtime's log events through <see cref="EventLoopOptions.LoggerFactory"/>: stable ids, the right levels, nothing per read.</summary>
public sealed class LoggingTests
{
    [Fact]
    public async Task A_servers_life_is_logged_with_stable_event_ids_and_nothing_per_read()
    {
        var logs = new ListLoggerFactory();
        await using var loop = new TestLoop(new EventLoopOptions { LoggerFactory = logs });
        var driver = new RecordingDriver
        {
            OnData = (s, data) => data.Span[0] == (byte)'!' ? throw new CustomTestException("bang") : WriteBack(s, data),
            OnError = (_, e) => new ValueTask<bool>(e is IdleTimeoutException),
        };
        var options = new TcpServerOptions { MaxConnections = 2, IdleTimeout = TimeSpan.FromMilliseconds(300) };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);
        await driver.Log.WaitForAsync("listen");

        using (var talker = await Peer.ConnectAsync(server.Port!.Value))
        {
            for (int i = 0; i < 20; i++)
            {
                await talker.SendAllAsync("hello"u8.ToArray());
                await talker.ReadExactlyAsync(5);
            }

            await talker.SendAllAsync("!"u8.ToArray()); // the handler throws; nothing handles it: dropped
            await driver.Log.WaitForAsync("close");
        }

        using var idle = await Peer.ConnectAsync(server.Port!.Value);
        using var second = await Peer.ConnectAsync(server.Port!.Value);
        using var third = await Peer.ConnectAsync(server.Port!.Value); // over MaxConnections: turned away
        await Poll.UntilAsync(loop.Loop, () => server.RejectedConnections == 1, "the third client to be turned away");
        await Poll.UntilAsync(() => Task.FromResult(logs.Has(205)), "the idle time-out to be logged");
        await server.DisposeAsync();
        await Poll.UntilAsync(() => Task.FromResult(logs.Has(101)), "the server's close to be logged");

        Assert.Equal(LogLevel.Information, logs.Single(100).Level);
        Assert.Contains($":{server.Port}", logs.Single(100).Message);
        Assert.Equal(RuntimeLog.ServerCategory, logs.Single(100).Category);
        Assert.Equal(LogLevel.Information, logs.Single(102).Level);
        var dropped = logs.Entries.First(e => e.Id == 204);
        Assert.IsType<CustomTestException>(dropped.Exception);
        Assert.Equal(RuntimeLog.ConnectionCategory, dropped.Category);
        Assert.Contains(logs.Entries, e => e.Id == 202 && e.Message.Contains("CustomTestException: bang"));
        Assert.Contains(logs.Entries, e => e.Id == 203 && e.Exception is IdleTimeoutException); // handled
        Assert.True(logs.Entries.Count(e => e.Id == 200) >= 3, "each accepted connection is logged at Debug");

        // Twenty requests, twenty replies: not one log line for them.
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("hello"));
        Assert.True(logs.Entries.Length < 40, $"{logs.Entries.Length} entries for a handful of connections");
    }

    [Fact]
    public async Task An_exception_no_handler_took_is_logged_as_an_error_instead_of_written_to_standard_error()
    {
        var logs = new ListLoggerFactory();
        await using var loop = new TestLoop(new EventLoopOptions { LoggerFactory = logs });
        var driver = RecordingDriver.EchoWithFailingErrorHandler();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        string socketName = (await driver.Log.SocketOfFirstAsync("connection")).ToString();
        await peer.SendAllAsync("!"u8.ToArray());
        await Poll.UntilAsync(() => Task.FromResult(logs.Has(104)), "the handler failure to be logged");
        var failure = logs.Single(104);
        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.IsType<ArgumentException>(failure.Exception);
        Assert.Equal($"An exception no handler took, on {socketName}", failure.Message);

        // Where it happened: a server's handler, or work posted to the loop.
        var closing = TcpServer.Listen(new RecordingDriver { OnServerClosed = _ => throw new InvalidOperationException("close handler") }, port: 0, loop: loop.Loop);
        string serverName = closing.ToString();
        await closing.DisposeAsync().WithTimeout("the server to close");
        loop.Loop.Post(() => throw new InvalidOperationException("posted work"));
        await loop.Loop.Barrier();
        Assert.Equal(
            new[] { $"An exception no handler took, on {socketName}", $"An exception no handler took, on {serverName}", "An exception no handler took, on the event loop" },
            logs.Entries.Where(e => e.Id == 104).Select(e => e.Message).ToArray());
    }

    private static ValueTask WriteBack(TcpSocket socket, ReadOnlyMemory<byte> data)
    {
        socket.Write(data.Span);
        return default;
    }

    private sealed record Entry(string Category, int Id, LogLevel Level, string Message, Exception? Exception);

    [Fact]
    public async Task Turned_away_clients_and_failed_accepts_are_logged_with_the_reason()
    {
        var logs = new ListLoggerFactory();
        await using var loop = new TestLoop(new EventLoopOptions { LoggerFactory = logs });
        using var dir = new TempDir();
        var driver = new RecordingDriver { OnServerErr = (_, _) => ValueTask.FromResult(true) };
        var tcp = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: new TcpServerOptions { MaxConnections = 1 });
        var unix = TcpServer.ListenUnix(driver, dir.File("limit.sock"), loop: loop.Loop, options: new TcpServerOptions { MaxConnections = 1 });
        using var first = await Peer.ConnectAsync(tcp.Port!.Value);
        using var second = await Peer.ConnectAsync(tcp.Port!.Value);
        using var firstLocal = await Peer.ConnectUnixAsync(dir.File("limit.sock"));
        using var secondLocal = await Peer.ConnectUnixAsync(dir.File("limit.sock"));
        await Poll.UntilAsync(loop.Loop, () => tcp.RejectedConnections == 1 && unix.RejectedConnections == 1, "a client of each to be turned away");
        Assert.Contains(logs.Entries, e => e.Id == 102 && e.Message == $"{tcp} turned a client away (127.0.0.1: over MaxConnections (1) or MaxConnectionsPerAddress)");
        Assert.Contains(logs.Entries, e => e.Id == 102 && e.Message == $"{unix} turned a client away (a local client: over MaxConnections (1) or MaxConnectionsPerAddress)");

        await loop.OnLoop(() => tcp.InjectedAcceptErrors = new(new[] { Conserv.Interop.Libc.ENOBUFS }));
        first.Dispose();
        await driver.Log.WaitForAsync("close");
        using var third = await Peer.ConnectAsync(tcp.Port!.Value);
        await Poll.UntilAsync(() => Task.FromResult(logs.Has(103)), "the failed accept to be logged");
        var failed = logs.Single(103);
        Assert.Equal(LogLevel.Warning, failed.Level);
        Assert.Equal($"{tcp} could not accept (accept: No buffer space available (ENOBUFS)); accepting pauses for 50 ms and resumes by itself", failed.Message);
        await tcp.DisposeAsync();
        await unix.DisposeAsync();
    }

    [Fact]
    public async Task A_clean_close_is_logged_at_debug_and_a_refused_write_over_the_output_limit_as_a_warning()
    {
        var logs = new ListLoggerFactory();
        await using var loop = new TestLoop(new EventLoopOptions { LoggerFactory = logs });
        var driver = new RecordingDriver
        {
            // The peer does not read: what the kernel does not take queues, and a write past the limit is refused.
            OnData = (s, _) =>
            {
                s.Write(new byte[16 * 1024 * 1024]);
                return default;
            },
            OnError = (_, _) => new ValueTask<bool>(true),
        };
        var options = new TcpServerOptions { OutputLimit = 64 * 1024 };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);
        using (var quiet = await Peer.ConnectAsync(server.Port!.Value))
        {
            var side = await driver.Log.SocketOfFirstAsync("connection");
            quiet.Shutdown(System.Net.Sockets.SocketShutdown.Both);
            await Poll.UntilAsync(() => Task.FromResult(logs.Entries.Any(e => e.Id == 201 && e.Message == $"{side} closed")), "the clean close to be logged");
        }

        Assert.Equal(LogLevel.Debug, logs.Single(201).Level);
        Assert.DoesNotContain(logs.Entries, e => e.Id == 202); // no error closed it

        using var stuck = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stuck.ConnectAsync(System.Net.IPAddress.Loopback, server.Port!.Value);
        await stuck.SendAsync(new byte[] { 1 });
        await Poll.UntilAsync(() => Task.FromResult(logs.Has(206)), "the refused write to be logged");
        var overflow = logs.Single(206);
        Assert.Equal(LogLevel.Warning, overflow.Level);
        Assert.Matches(@"^.+: output limit reached \(\d+ bytes queued, a write of \d+ refused\)$", overflow.Message);
    }

    private sealed class ListLoggerFactory : ILoggerFactory
    {
        public ConcurrentQueue<Entry> Queue { get; } = new();

        public Entry[] Entries => Queue.ToArray();

        public bool Has(int id) => Queue.Any(e => e.Id == id);

        public Entry Single(int id) => Assert.Single(Queue, e => e.Id == id);

        public ILogger CreateLogger(string categoryName) => new ListLogger(categoryName, Queue);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }

    private sealed class ListLogger(string category, ConcurrentQueue<Entry> queue) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            queue.Enqueue(new Entry(category, eventId.Id, logLevel, formatter(state, exception), exception));
    }
}
