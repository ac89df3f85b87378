using System.Runtime.InteropServices;

namespace Conserv.Runtime.Tests;

/// <summary>Sends real POSIX signals, for the tests of what <see cref="EventLoop.Run(System.Action, EventLoopOptions?)"/> does with them.</summary>
internal static partial class Signals
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    /// <summary><c>kill(2)</c>: 0 when the signal was sent.</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
