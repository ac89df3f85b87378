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

    /// <summary>Descriptors kept back for the runtime itself: a tenth of the limit, at least 128 and at most 1,024 (but never more than half).</summary>
    /// <remarks>
    /// At least 128 because a .NET server holds about 60 descriptors of its own before its first client (the Echo
    /// sample: 60–63, two per loaded assembly among them): a reserve of 64 left it a handful, and under a limit of 256
    /// its last admitted client met EMFILE — and the runtime aborted (a PAL_SEHException) — instead of the cap.
    /// </remarks>
    public static int Reserve => ReserveFor(OpenFiles);

    /// <summary>The default <see cref="TcpServerOptions.MaxConnections"/>: <see cref="OpenFiles"/> less <see cref="Reserve"/>.</summary>
    public static int DefaultMaxConnections => Math.Max(1, OpenFiles - Reserve);

    /// <summary>The <see cref="Reserve"/> under a limit of <paramref name="openFiles"/> descriptors.</summary>
    internal static int ReserveFor(int openFiles) => Math.Min(openFiles / 2, Math.Clamp(openFiles / 10, 128, 1024));

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
