using System.Text;

namespace Conserv;

/// <summary>
/// The external format argument of <see cref="TcpSocket.Connect"/> and <see cref="TcpServer.Listen(IEventDriver, string, int, ExternalFormat, ExternalFormat, EventLoop?, TcpServerOptions?)"/>:
/// an <see cref="System.Text.Encoding"/>, <see langword="null"/> for raw bytes, or left out for the default (UTF-8 without BOM).
/// </summary>
/// <remarks>An <see cref="System.Text.Encoding"/> (or <see langword="null"/>) converts to it implicitly.</remarks>
public readonly struct ExternalFormat
{
    private readonly Encoding? _encoding;
    private readonly bool _specified;

    private ExternalFormat(Encoding? encoding)
    {
        _encoding = encoding;
        _specified = true;
    }

    /// <summary>UTF-8 without a byte-order mark: what a socket uses when no format is given.</summary>
    public static Encoding Utf8 { get; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>No encoding: data handlers receive raw bytes, and writing text throws.</summary>
    public static ExternalFormat Bytes => new(null);

    /// <summary>The encoding this format stands for (<see langword="null"/> for raw bytes).</summary>
    public Encoding? Encoding => _specified ? _encoding : Utf8;

    /// <summary>Uses <paramref name="encoding"/>, or raw bytes when it is null.</summary>
    /// <param name="encoding">The encoding.</param>
    public static implicit operator ExternalFormat(Encoding? encoding) => new(encoding);

    /// <summary>Uses <paramref name="encoding"/>, or raw bytes when it is null.</summary>
    /// <param name="encoding">The encoding.</param>
    /// <returns>The format.</returns>
    public static ExternalFormat FromEncoding(Encoding? encoding) => new(encoding);

    /// <inheritdoc/>
    public override string ToString() => Encoding?.WebName ?? "bytes";
}
