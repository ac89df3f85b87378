using System;

namespace Conserv;

/// <summary>
/// Marks a handler for errors on a server: a listener or accept fault,
/// or an exception thrown by one of its server handlers.
/// </summary>
/// <remarks>
/// Error handlers specialize on the exception type: of all handlers whose
/// <see cref="ExceptionType"/> the exception is an instance of, the most derived type wins (and, for the
/// same type, a derived driver class's handler beats its base's). Whatever the handlers do, the
/// server and all its clients close after the dispatch.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OnServerErrorAttribute : Attribute
{
    /// <summary>Handles every exception (<see cref="Exception"/>).</summary>
    public OnServerErrorAttribute() : this(typeof(Exception))
    {
    }

    /// <summary>Handles exceptions that are instances of <paramref name="exceptionType"/>.</summary>
    /// <param name="exceptionType">A type deriving from <see cref="Exception"/>.</param>
    public OnServerErrorAttribute(Type exceptionType)
    {
        ExceptionType = exceptionType;
    }

    /// <summary>The exception type this handler specializes on.</summary>
    public Type ExceptionType { get; }
}
