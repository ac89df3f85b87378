using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using DotNetty.Codecs;
using Microsoft.AspNetCore.Connections;

namespace Conserv.Bench.Servers;

/// <summary>Makes the echo server named on a command line.</summary>
public static class EchoServerFactory
{
    /// <summary>Every implementation name <see cref="Create"/> takes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["conserv", "conserv-group", "conserv-plain", "conserv-spin", "kestrel", "dotnetty", "socket",
        "conserv-lines", "conserv-prefix", "kestrel-lines", "kestrel-prefix", "dotnetty-lines", "dotnetty-prefix"];

    /// <summary>Makes an echo server; <paramref name="threads"/> is the loop/thread count where the implementation has one (0: its default).</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="threads">Loops of conserv-group, I/O threads of Kestrel and DotNetty; 0 for each one's default.</param>
    /// <returns>The server, not started.</returns>
    public static IEchoServer Create(string name, int threads = 0) => name switch
    {
        "conserv" => new ConservEchoServer(groupLoops: null),
        "conserv-group" => new ConservEchoServer(groupLoops: threads),
        "conserv-plain" => new ConservEchoServer(groupLoops: null, static () => new PlainEchoDriver()),
        "conserv-spin" => new ConservEchoServer(groupLoops: null, options: new EventLoopOptions { SpinBeforeWait = TimeSpan.FromMicroseconds(50) }, name: "conserv-spin"),
        "kestrel" => new KestrelEchoServer(threads),
        "dotnetty" => new DotNettyEchoServer(threads),
        "socket" => new SocketEchoServer(),
        // Framed echoes (frames of at most FramedEcho.MaxLength): lines ended by '\n', and frames behind a 4-byte big-endian length.
        "conserv-lines" => new ConservEchoServer(groupLoops: null, static () => new LineEchoDriver(), name: "conserv-lines"),
        "conserv-prefix" => new ConservEchoServer(groupLoops: null, static () => new PrefixEchoDriver(), name: "conserv-prefix"),
        "kestrel-lines" => new KestrelEchoServer(threads, "kestrel-lines", static l => l.UseConnectionHandler<KestrelLineEchoConnectionHandler>()),
        "kestrel-prefix" => new KestrelEchoServer(threads, "kestrel-prefix", static l => l.UseConnectionHandler<KestrelPrefixEchoConnectionHandler>()),
        "dotnetty-lines" => new DotNettyEchoServer(threads, "dotnetty-lines", static p => p.AddLast(new LineBasedFrameDecoder(FramedEcho.MaxLength), new DotNettyLineEchoHandler())),
        "dotnetty-prefix" => new DotNettyEchoServer(threads, "dotnetty-prefix", static p => p.AddLast(
            new LengthFieldBasedFrameDecoder(FramedEcho.MaxLength + 4, lengthFieldOffset: 0, lengthFieldLength: 4, lengthAdjustment: 0, initialBytesToStrip: 4),
            new DotNettyPrefixEchoHandler())),
        _ => throw new ArgumentException($"Unknown echo server '{name}'; expected one of: {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>A loopback port that was free a moment ago, for implementations that cannot bind port 0 and report it.</summary>
    /// <returns>The port.</returns>
    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
