using System;
using System.Buffers.Binary;
using System.Linq;
using System.Net;
using System.Reflection;
using Conserv.Interop;

namespace Conserv.Runtime.Tests;

/// <summary>The errno names of error messages and the <c>sockaddr</c> encodings, byte by byte.</summary>
public class InteropTests
{
    private static readonly string[] NamedErrnos =
    {
        "ENOENT", "EINTR", "EAGAIN", "ENOMEM", "EACCES", "ENFILE", "EMFILE", "EPIPE", "EPROTO", "ENOTSOCK", "EADDRINUSE",
        "EADDRNOTAVAIL", "ENETUNREACH", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "ENOTCONN", "ETIMEDOUT", "ECONNREFUSED",
        "EHOSTUNREACH", "EINPROGRESS", "ENOTDIR", "ENAMETOOLONG", "EPERM",
    };

    [Fact]
    public void Every_errno_the_runtime_names_reads_as_its_symbol_and_any_other_as_its_number()
    {
        foreach (string name in NamedErrnos)
        {
            var field = typeof(Libc).GetField(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static);
            Assert.NotNull(field);
            Assert.Equal(name, Errno.Name((int)field!.GetRawConstantValue()!));
        }

        Assert.Equal("errno 9999", Errno.Name(9999));
        Assert.Equal("connect: Connection refused (ECONNREFUSED)", Errno.Exception(Libc.ECONNREFUSED, "connect").Message);
    }

    [Fact]
    public void An_IPv4_sockaddr_has_its_port_in_network_order_and_zeroes_over_whatever_the_buffer_held()
    {
        var buffer = Enumerable.Repeat((byte)0xEE, SockAddr.MaxSize).ToArray();
        Assert.Equal(16, SockAddr.Write(buffer, IPAddress.Parse("10.1.2.3"), 0x1234));
        Assert.Equal(new byte[] { (byte)Libc.AF_INET, 0, 0x12, 0x34, 10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0 }, buffer[..16]);
        Assert.All(buffer[16..], b => Assert.Equal(0, b));
        Assert.True(SockAddr.TryRead(buffer, out var address, out int port));
        Assert.Equal((IPAddress.Parse("10.1.2.3"), 0x1234), (address, port));
    }

    [Fact]
    public void An_IPv6_sockaddr_carries_the_scope_id_and_a_zero_flow_label()
    {
        var buffer = Enumerable.Repeat((byte)0xEE, SockAddr.MaxSize).ToArray();
        var scoped = IPAddress.Parse("fe80::1%7");
        Assert.Equal(28, SockAddr.Write(buffer, scoped, 443));
        Assert.Equal((ushort)Libc.AF_INET6, BinaryPrimitives.ReadUInt16LittleEndian(buffer));
        Assert.Equal(443, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(4))); // the flow label
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(24)));
        Assert.True(SockAddr.TryRead(buffer, out var address, out int port));
        Assert.Equal((scoped, 443), (address, port));
        Assert.Equal(7, address!.ScopeId);
    }

    [Fact]
    public void A_unix_sockaddr_ends_its_path_with_a_nul_and_reads_as_no_IP_address()
    {
        var buffer = Enumerable.Repeat((byte)0xEE, SockAddr.MaxSize).ToArray();
        Assert.Equal(2 + 6 + 1, SockAddr.WriteUnix(buffer, "/tmp/s"));
        Assert.Equal((ushort)Libc.AF_UNIX, BinaryPrimitives.ReadUInt16LittleEndian(buffer));
        Assert.Equal("/tmp/s\0"u8.ToArray(), buffer[2..9]);
        Assert.False(SockAddr.TryRead(buffer, out var address, out int port));
        Assert.Equal((null, 0), (address, port));
    }
}
