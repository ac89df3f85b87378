using System;

namespace Conserv;

/// <summary>Settings of an <see cref="EventLoop"/>.</summary>
public sealed class EventLoopOptions
{
    private int _readBufferSize = 16 * 1024;

    /// <summary>
    /// The size of the loop's read buffer: the most one data event carries. Default 16 KiB; between 256 bytes and 16 MiB.
    /// </summary>
    public int ReadBufferSize
    {
        get => _readBufferSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 256, nameof(ReadBufferSize));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 16 * 1024 * 1024, nameof(ReadBufferSize));
            _readBufferSize = value;
        }
    }

    /// <summary>The name of the loop's thread, for debuggers and logs. Default "Conserv event loop".</summary>
    public string ThreadName { get; set; } = "Conserv event loop";
}
