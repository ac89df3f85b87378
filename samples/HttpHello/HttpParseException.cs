using System;

namespace Conserv.Samples.HttpHello;

/// <summary>A request that cannot be served; the server answers with <see cref="Status"/> and closes.</summary>
public sealed class HttpParseException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The HTTP status to answer with (400, 413, 431, 501, 505).</param>
    /// <param name="message">What was wrong.</param>
    public HttpParseException(int status, string message) : base(message)
    {
        Status = status;
    }

    /// <summary>The HTTP status to answer with.</summary>
    public int Status { get; }
}
