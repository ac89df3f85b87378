using System;

namespace Conserv;

// How much one read asks the kernel for, per socket, as Netty's adaptive receive buffer does: a socket whose
// reads fill what they asked for (bulk transfer) gets twice as much next time, up to
// EventLoopOptions.ReadBufferSize; one whose reads stay small (a chatty protocol) comes back down. The bytes
// land in the loop's one shared read buffer, so an idle or chatty connection costs no buffer of its own.
public sealed partial class TcpSocket
{
    /// <summary>Where every socket's reads start, and the least they come back down to: 16 KiB (or the loop's maximum, if smaller).</summary>
    internal const int InitialReadSize = 16 * 1024;

    private int _readSize;

    /// <summary>How much the next read asks for.</summary>
    internal int ReadSize => _readSize != 0 ? _readSize : _readSize = Math.Min(InitialReadSize, _loop.Options.ReadBufferSize);

    /// <summary>Grows the next read after one that filled the request; shrinks it after one that used less than a quarter.</summary>
    private void AdaptReadSize(int count)
    {
        int size = _readSize;
        if (count == size)
        {
            _readSize = Math.Min(size * 2, _loop.Options.ReadBufferSize);
        }
        else if (count < size / 4 && size > InitialReadSize)
        {
            _readSize = Math.Max(size / 2, InitialReadSize);
        }
    }
}
