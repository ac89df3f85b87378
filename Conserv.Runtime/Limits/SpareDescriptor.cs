using Conserv.Interop;

namespace Conserv;

/// <summary>
/// A descriptor held in reserve (on /dev/null) so that a listener can still turn clients away when the process
/// has run out of descriptors: close the spare, accept a pending client and close it at once, open the spare
/// again (libuv's answer to EMFILE). Without it the pending clients would wait in the backlog, each making the
/// listener readable again, until descriptors come back.
/// </summary>
internal sealed class SpareDescriptor
{
    private const int MaxShedPerFailure = 64;
    private int _fd = Open();

    /// <summary>The spare's descriptor, or -1 while it could not be opened.</summary>
    internal int Descriptor => _fd;

    /// <summary>
    /// Accepts and closes the connections waiting on <paramref name="listener"/> (at most a batch), using the
    /// spare's descriptor; returns how many were turned away.
    /// </summary>
    public unsafe int ShedPending(int listener)
    {
        if (_fd < 0)
        {
            _fd = Open(); // a spare that could not be opened before may be now
            return 0;
        }

        Libc.close(_fd);
        _fd = -1;
        int shed = 0;
        for (; shed < MaxShedPerFailure; shed++)
        {
            int client = Libc.accept4(listener, null, null, Libc.SOCK_CLOEXEC);
            if (client < 0)
            {
                break;
            }

            Libc.close(client);
        }

        _fd = Open();
        return shed;
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            Libc.close(_fd);
            _fd = -1;
        }
    }

    private static int Open() => Libc.open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC);
}
