using System;

namespace Conserv;

/// <summary>
/// What a socket driver handles, so the runtime does only the work the driver can observe.
/// </summary>
[Flags]
public enum SocketDriverFeatures
{
    /// <summary>The driver handles no data and no output-empty event.</summary>
    None = 0,

    /// <summary>
    /// The driver takes raw bytes (<see cref="ISocketEventDriver.OnSocketData"/>). A driver that takes
    /// bytes but not text always receives bytes, whatever the socket's input format: it never pays for decoding.
    /// </summary>
    ByteData = 1,

    /// <summary>
    /// The driver takes decoded text (<see cref="ISocketEventDriver.OnSocketText"/>). It is used when the
    /// socket's <see cref="TcpSocket.ExternalFormatIn"/> is not null.
    /// </summary>
    TextData = 2,

    /// <summary>The driver wants <see cref="ISocketEventDriver.OnSocketOutputEmpty"/>; without it the runtime skips that bookkeeping.</summary>
    OutputEmpty = 4,

    /// <summary>
    /// With <see cref="OutputEmpty"/>: raise <see cref="ISocketEventDriver.OnSocketOutputEmpty"/> as soon as queued
    /// output has fallen to the socket's <see cref="TcpSocket.OutputLowWaterMark"/> instead of waiting until it is
    /// empty, so a driver streaming a large response keeps the kernel's buffer full
    /// (<c>[OnSocketOutputEmpty(AtLowWaterMark = true)]</c>).
    /// </summary>
    OutputEmptyAtLowWaterMark = 8,
}
