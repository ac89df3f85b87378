using System;

namespace Conserv;

/// <summary>
/// Marks a handler for errors on a socket: a read or write fault, a failed connect, a decoding
/// failure, or an exception thrown by another handler of the driver.
/// </summary>
/// <remarks>
/// Error handlers specialize on the exception type: of all handlers whose
/// <see cref="ExceptionType"/> the exception is an instance of, the most derived type wins (and, for the
/// same type, a derived driver class's handler beats its base's). When none matches, the connection is
/// dropped. Returning normally means the error is handled: the connection stays open if it still can.
/// Call <see cref="SocketEvents.DropConnection(Exception?)"/> to drop it.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OnSocketErrorAttribute : Attribute
{
    /// <summary>Handles every exception (<see cref="Exception"/>).</summary>
    public OnSocketErrorAttribute() : this(typeof(Exception))
    {
    }

    /// <summary>Handles exceptions that are instances of <paramref name="exceptionType"/>.</summary>
    /// <param name="exceptionType">A type deriving from <see cref="Exception"/>.</param>
    public OnSocketErrorAttribute(Type exceptionType)
    {
        ExceptionType = exceptionType;
    }

    /// <summary>The exception type this handler specializes on.</summary>
    public Type ExceptionType { get; }
}
