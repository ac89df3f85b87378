using System;
using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Conserv.Interop;

/// <summary>Builds and reads native <c>sockaddr</c> structures (IPv4, IPv6, Unix-domain).</summary>
internal static unsafe class SockAddr
{
    /// <summary>Large enough for <c>sockaddr_in</c>, <c>sockaddr_in6</c> and <c>sockaddr_un</c>.</summary>
    public const int MaxSize = 128;

    /// <summary>The longest Unix-domain path (<c>sun_path</c> holds 108 bytes with its terminator).</summary>
    public const int MaxUnixPathBytes = 107;

    public static int Family(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? Libc.AF_INET6 : Libc.AF_INET;

    /// <summary>Writes <paramref name="address"/>:<paramref name="port"/> into <paramref name="buffer"/>; returns its length.</summary>
    public static int Write(Span<byte> buffer, IPAddress address, int port)
    {
        buffer.Slice(0, MaxSize).Clear();
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(buffer, Libc.AF_INET6);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.Slice(2), (ushort)port);
            address.TryWriteBytes(buffer.Slice(8, 16), out _);
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(24), (uint)address.ScopeId);
            return 28;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(buffer, Libc.AF_INET);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.Slice(2), (ushort)port);
        address.TryWriteBytes(buffer.Slice(4, 4), out _);
        return 16;
    }

    /// <summary>Writes a <c>sockaddr_un</c> for <paramref name="path"/>; returns its length.</summary>
    public static int WriteUnix(Span<byte> buffer, string path)
    {
        buffer.Slice(0, MaxSize).Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(buffer, Libc.AF_UNIX);
        int n = Encoding.UTF8.GetBytes(path, buffer.Slice(2, MaxUnixPathBytes));
        return 2 + n + 1;
    }

    /// <summary>Reads an IP address and port from a <c>sockaddr</c>; false for other families.</summary>
    public static bool TryRead(ReadOnlySpan<byte> buffer, out IPAddress? address, out int port)
    {
        int family = BinaryPrimitives.ReadUInt16LittleEndian(buffer);
        port = BinaryPrimitives.ReadUInt16BigEndian(buffer.Slice(2));
        if (family == Libc.AF_INET)
        {
            address = new IPAddress(buffer.Slice(4, 4));
            return true;
        }

        if (family == Libc.AF_INET6)
        {
            address = new IPAddress(buffer.Slice(8, 16), BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(24)));
            return true;
        }

        address = null;
        port = 0;
        return false;
    }

    /// <summary>The local address of <paramref name="fd"/> (address null for a Unix-domain socket).</summary>
    public static void Local(int fd, out IPAddress? address, out int port)
    {
        byte* buf = stackalloc byte[MaxSize];
        int len = MaxSize;
        if (Libc.getsockname(fd, buf, &len) != 0 || !TryRead(new ReadOnlySpan<byte>(buf, MaxSize), out address, out port))
        {
            address = null;
            port = 0;
        }
    }
}
