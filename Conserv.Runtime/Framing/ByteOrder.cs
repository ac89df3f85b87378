namespace Conserv;

/// <summary>The byte order of a length prefix (<see cref="SocketFraming.LengthPrefixed"/>).</summary>
public enum ByteOrder
{
    /// <summary>Most significant byte first (network byte order).</summary>
    BigEndian,

    /// <summary>Least significant byte first.</summary>
    LittleEndian,
}
