using System;

namespace Conserv.Generators.Model;

/// <summary>Mirror of the runtime's <c>SocketDriverFeatures</c> flags (same values).</summary>
[Flags]
internal enum DriverFeatures
{
    None = 0,
    ByteData = 1,
    TextData = 2,
    OutputEmpty = 4,
    OutputEmptyAtLowWaterMark = 8,
}
