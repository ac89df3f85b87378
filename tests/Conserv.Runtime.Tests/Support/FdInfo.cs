using System;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Conserv.Runtime.Tests;

/// <summary>What the kernel says of a descriptor in /proc/self/fdinfo: its open flags, and what an epoll instance watches.</summary>
public static class FdInfo
{
    public const int CloseOnExec = 0x80000, NonBlocking = 0x800; // O_CLOEXEC, O_NONBLOCK on Linux
    public const uint EpollIn = 0x1; // EPOLLIN

    /// <summary>The descriptor's file status flags, from the "flags:" line (octal).</summary>
    public static int OpenFlags(int fd)
    {
        string line = File.ReadLines($"/proc/self/fdinfo/{fd}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
        return Convert.ToInt32(line["flags:".Length..].Trim(), 8);
    }

    /// <summary>The events <paramref name="epoll"/> watches on <paramref name="fd"/>, or null when it does not watch it.</summary>
    public static uint? EpollInterest(int epoll, int fd)
    {
        foreach (var fields in File.ReadLines($"/proc/self/fdinfo/{epoll}").Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            // tfd:        9 events:       19 data: ...
            if (fields.Length > 3 && fields[0] == "tfd:" && fields[1] == fd.ToString(CultureInfo.InvariantCulture) && fields[2] == "events:")
            {
                return uint.Parse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="epoll"/> watches <paramref name="fd"/> at all.</summary>
    public static bool EpollWatches(int epoll, int fd) => EpollInterest(epoll, fd) is not null;
}
