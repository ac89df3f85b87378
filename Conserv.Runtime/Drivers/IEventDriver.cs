namespace Conserv;

/// <summary>
/// Marker for every driver: an object whose methods the runtime calls when events happen.
/// A driver implements <see cref="ISocketEventDriver"/>, <see cref="IServerEventDriver"/>, or both.
/// </summary>
/// <remarks>
/// Drivers are usually written as a <c>partial class</c> with attributed handler methods
/// (<see cref="OnSocketDataAttribute"/>, …); the Conserv source generator then implements these
/// interfaces. A hand-written driver implements them directly.
/// </remarks>
public interface IEventDriver
{
}
