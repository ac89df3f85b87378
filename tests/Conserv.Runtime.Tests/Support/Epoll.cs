using System.Globalization;
using System.IO;
using System.Linq;

namespace Conserv.Runtime.Tests;

/// <summary>What an epoll instance watches, as the kernel reports it in /proc/self/fdinfo (its "tfd:" lines).</summary>
public static class Epoll
{
    public const uint In = 0x1; // EPOLLIN

    /// <summary>The events <paramref name="epoll"/> watches on <paramref name="fd"/>, or null when it does not watch it.</summary>
    public static uint? Interest(int epoll, int fd)
    {
        foreach (var fields in File.ReadLines($"/proc/self/fdinfo/{epoll}").Select(line => line.Split(' ', System.StringSplitOptions.RemoveEmptyEntries)))
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
    public static bool Watches(int epoll, int fd) => Interest(epoll, fd) is not null;
}
