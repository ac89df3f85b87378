using System;

namespace Conserv;

/// <summary>
/// Marks the handler that runs when everything written to a socket has been handed to the kernel.
/// </summary>
/// <remarks>Writes made in one handler coalesce into one event. It never runs inside a write call, for an empty write, or for the drain that completes a graceful close; a driver can therefore stream a large response chunk by chunk from this event.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OnSocketOutputEmptyAttribute : Attribute
{
    /// <summary>
    /// Run the handler as soon as the socket's queued output has fallen to its
    /// <see cref="TcpSocket.OutputLowWaterMark"/> (the socket can take more), not only once it is empty. A driver
    /// streaming a large response from this event then keeps data flowing without letting the queue run dry.
    /// </summary>
    public bool AtLowWaterMark { get; set; }
}
