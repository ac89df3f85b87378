using System;

namespace Conserv;

/// <summary>
/// Marks the handler that runs when everything written to a socket has been handed to the kernel.
/// </summary>
/// <remarks>Writes made in one handler coalesce into one event. It never runs inside a write call, for an empty write, or for the drain that completes a graceful close; a driver can therefore stream a large response chunk by chunk from this event.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OnSocketOutputEmptyAttribute : Attribute
{
}
