using System;
using System.IO;
using System.Net;
using System.Net.Sockets;

namespace Conserv.Samples.Tests.Support;

/// <summary>Small helpers for addresses.</summary>
public static class Net
{
    /// <summary>A loopback port nothing listens on right now.</summary>
    /// <returns>The port.</returns>
    public static int FreePort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>A fresh, short Unix socket path in the temp directory.</summary>
    /// <param name="name">A hint for the file name.</param>
    /// <returns>The path (nothing exists there yet).</returns>
    public static string UnixPath(string name) =>
        Path.Combine(Path.GetTempPath(), $"conserv-{name}-{Guid.NewGuid().ToString("N")[..8]}.sock");
}
