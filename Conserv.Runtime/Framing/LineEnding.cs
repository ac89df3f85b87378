namespace Conserv;

/// <summary>Which byte sequences end a line for <see cref="SocketFraming.Lines"/> and <see cref="OnSocketLineAttribute"/>.</summary>
public enum LineEnding
{
    /// <summary>A line feed (<c>\n</c>) ends a line, and a carriage return just before it is dropped too: <c>\n</c> and <c>\r\n</c> both work.</summary>
    Any,

    /// <summary>Only a line feed (<c>\n</c>) ends a line; a carriage return stays part of the line.</summary>
    Lf,

    /// <summary>Only <c>\r\n</c> ends a line; a lone <c>\n</c> stays part of the line (strict protocols such as SMTP).</summary>
    CrLf,
}
