using System;
using Conserv.Interop;

namespace Conserv;

/// <summary>
/// The process's open-file limit and the share of it servers may fill with clients by default.
/// </summary>
/// <remarks>
/// Every connection costs a descriptor, and so does much of what the .NET runtime does for itself (loading an
/// assembly, opening standard error, resolving a name). A server that lets clients take the last descriptor
/// leaves the process unable to do any of that — at worst the runtime aborts. So servers stop at
/// <see cref="DefaultMaxConnections"/>, keeping <see cref="Reserve"/> descriptors back, as Redis keeps
/// descriptors back from <c>maxclients</c>.
/// </remarks>
public static class DescriptorLimit
{
    private static readonly Lazy<int> s_soft = new(ReadSoftLimit);

    /// <summary>The process's soft RLIMIT_NOFILE as it was when first read (int.MaxValue if unlimited).</summary>
    public static int OpenFiles => s_soft.Value;

    /// <summary>Descriptors kept back for the runtime itself: a tenth of the limit, at least 64 and at most 1,024 (but never more than half).</summary>
    public static int Reserve => Math.Min(OpenFiles / 2, Math.Clamp(OpenFiles / 10, 64, 1024));

    /// <summary>The default <see cref="TcpServerOptions.MaxConnections"/>: <see cref="OpenFiles"/> less <see cref="Reserve"/>.</summary>
    public static int DefaultMaxConnections => Math.Max(1, OpenFiles - Reserve);

    private static unsafe int ReadSoftLimit()
    {
        ulong* limits = stackalloc ulong[2];
        if (Libc.getrlimit(Libc.RLIMIT_NOFILE, limits) != 0)
        {
            return 1024; // the usual default, if the limit cannot be read
        }

        return limits[0] >= int.MaxValue ? int.MaxValue : (int)limits[0];
    }
}
