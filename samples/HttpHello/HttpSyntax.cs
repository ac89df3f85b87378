using System;

namespace Conserv.Samples.HttpHello;

/// <summary>The byte-level pieces of HTTP/1.x syntax that the decoder and <see cref="HttpRequest"/> share.</summary>
internal static class HttpSyntax
{
    /// <summary>Whether <paramref name="name"/> is a token (RFC 9110 5.6.2): visible ASCII except separators; not empty.</summary>
    public static bool IsToken(ReadOnlySpan<byte> name)
    {
        foreach (byte b in name)
        {
            if (b <= ' ' || b >= 127 || "()<>@,;:\\\"/[]?={}"u8.Contains(b))
            {
                return false;
            }
        }

        return !name.IsEmpty;
    }

    /// <summary>A line without the CRs at its end (a line ends with "\r\n" or a bare "\n").</summary>
    public static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line.TrimEnd((byte)'\r');

    /// <summary>A field value without the spaces and tabs around it (RFC 9110 5.5: optional whitespace).</summary>
    public static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> value) => value.Trim(" \t"u8);

    /// <summary>Whether a comma-separated header value lists <paramref name="token"/> (case-insensitive), as "Connection: keep-alive, Upgrade" does.</summary>
    public static bool HasToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (Range part in value.Split((byte)','))
        {
            var item = value[part];
            int start = 0;
            int end = item.Length;
            while (start < end && char.IsWhiteSpace((char)item[start]))
            {
                start++;
            }

            while (end > start && char.IsWhiteSpace((char)item[end - 1]))
            {
                end--;
            }

            if (System.Text.Ascii.EqualsIgnoreCase(item[start..end], token))
            {
                return true;
            }
        }

        return false;
    }
}
