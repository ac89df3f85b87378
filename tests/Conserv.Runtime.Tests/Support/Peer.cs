using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>An independent peer on plain System.Net.Sockets, and other helpers.</summary>
public static partial class Peer
{
    public static async Task<Socket> ConnectAsync(int port, IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(EventLog.DefaultTimeout);
        await socket.ConnectAsync(new IPEndPoint(address, port), cts.Token);
        return socket;
    }

    public static async Task<Socket> ConnectUnixAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var cts = new CancellationTokenSource(EventLog.DefaultTimeout);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cts.Token);
        return socket;
    }

    public static async Task SendAllAsync(this Socket socket, byte[] data)
    {
        using var cts = new CancellationTokenSource(EventLog.DefaultTimeout);
        int sent = 0;
        while (sent < data.Length)
        {
            sent += await socket.SendAsync(data.AsMemory(sent), SocketFlags.None, cts.Token);
        }
    }

    /// <summary>Reads until the peer's end of file or a reset; returns what arrived and whether it ended with a reset.</summary>
    public static async Task<(byte[] Data, bool Reset)> ReadToEndAsync(this Socket socket, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? EventLog.DefaultTimeout);
        var buffer = new byte[64 * 1024];
        var all = new MemoryStream();
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return (all.ToArray(), false);
                }

                all.Write(buffer, 0, n);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return (all.ToArray(), true);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (fails on EOF or timeout).</summary>
    public static async Task<byte[]> ReadExactlyAsync(this Socket socket, int count)
    {
        using var cts = new CancellationTokenSource(EventLog.DefaultTimeout);
        var buffer = new byte[count];
        int got = 0;
        while (got < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"EOF after {got} of {count} bytes.");
            }

            got += n;
        }

        return buffer;
    }

    /// <summary>Deterministic bytes that differ per <paramref name="seed"/>.</summary>
    public static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        uint x = (uint)seed * 2654435761u + 12345u;
        for (int i = 0; i < length; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            data[i] = (byte)x;
        }

        return data;
    }

    /// <summary>Waits until the other end's kernel has acknowledged every byte this socket sent (the data is there to read).</summary>
    public static Task WaitUntilAcknowledgedAsync(this Socket socket) =>
        Poll.UntilAsync(() => Task.FromResult(UnacknowledgedBytes(socket) == 0), "the sent bytes to reach the other end");

    // Linux's SIOCOUTQ (TIOCOUTQ): bytes of a TCP socket not yet acknowledged by the peer's kernel.
    private static int UnacknowledgedBytes(Socket socket) =>
        Ioctl((int)socket.Handle, 0x5411, out int bytes) == 0 ? bytes : throw new InvalidOperationException($"ioctl(SIOCOUTQ) failed: {Marshal.GetLastPInvokeError()}");

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, out int value);

    /// <summary>A port nothing listens on (bound then released).</summary>
    public static int UnusedPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}

/// <summary>A background event loop owned by one test; disposing stops it and waits for it.</summary>
public sealed class TestLoop : IAsyncDisposable
{
    /// <summary>Starts the loop on a background thread.</summary>
    /// <param name="options">Loop settings, or null for the defaults.</param>
    public TestLoop(EventLoopOptions? options = null) => Loop = EventLoop.Start(options);

    public EventLoop Loop { get; }

    public async ValueTask DisposeAsync()
    {
        Loop.Stop();
        await Loop.Completion.WithTimeout("the loop to stop");
    }

    /// <summary>Runs <paramref name="action"/> on the loop and returns its result.</summary>
    public Task<T> OnLoop<T>(Func<T> action) => Loop.OnLoopAsync(action);

    public Task OnLoop(Action action) => Loop.OnLoopAsync(action);

    /// <inheritdoc cref="LoopExtensions.HoldAsync"/>
    public Task<IDisposable> HoldAsync() => Loop.HoldAsync();
}

/// <summary>A short temporary directory for Unix socket files (paths must stay under 108 bytes).</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine("/tmp", "cv-" + Guid.NewGuid().ToString("N").Substring(0, 10));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public static class LoopExtensions
{
    /// <summary>
    /// Blocks the loop thread (inside posted work) until the returned handle is disposed: what peers send meanwhile is
    /// found by one <c>epoll_wait</c> (one batch of readiness events), and work posted meanwhile runs after it, in order.
    /// </summary>
    public static async Task<IDisposable> HoldAsync(this EventLoop loop)
    {
        var holding = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        loop.Post(() =>
        {
            holding.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        });
        await Poll.UntilAsync(() => Task.FromResult(holding.IsSet), "the loop to be held");
        return new Release(release);
    }

    /// <summary>
    /// Connects <paramref name="count"/> clients to <paramref name="port"/> while the loop is held: the kernel completes
    /// each connect and the clients wait in the listener's backlog, to be met by one accept run.
    /// </summary>
    public static async Task<Socket[]> ConnectWhileHeldAsync(this EventLoop loop, int port, int count)
    {
        var clients = new Socket[count];
        using (await loop.HoldAsync())
        {
            for (int i = 0; i < count; i++)
            {
                clients[i] = await Peer.ConnectAsync(port);
            }
        }

        return clients;
    }

    private sealed class Release(ManualResetEventSlim release) : IDisposable
    {
        public void Dispose() => release.Set();
    }

    /// <summary>Completes once everything queued on <paramref name="loop"/> before it has run.</summary>
    public static Task Barrier(this EventLoop loop)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() => done.SetResult());
        return done.Task.WithTimeout("a loop barrier");
    }

    /// <summary>Runs <paramref name="action"/> on <paramref name="loop"/> and returns its result.</summary>
    public static Task<T> OnLoopAsync<T>(this EventLoop loop, Func<T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() =>
        {
            try
            {
                done.SetResult(action());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task.WithTimeout("work on the loop");
    }

    public static Task OnLoopAsync(this EventLoop loop, Action action) => loop.OnLoopAsync(() =>
    {
        action();
        return true;
    });

    /// <summary>The kinds with runs of the same kind collapsed ("data","data" → "data").</summary>
    public static string[] Collapse(this string[] kinds)
    {
        var list = new System.Collections.Generic.List<string>();
        foreach (var k in kinds)
        {
            if (list.Count == 0 || list[^1] != k)
            {
                list.Add(k);
            }
        }

        return list.ToArray();
    }
}
