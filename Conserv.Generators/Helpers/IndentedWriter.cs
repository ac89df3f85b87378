using System.Text;

namespace Conserv.Generators.Helpers;

/// <summary>Writes source text line by line with four-space indentation and '\n' line ends.</summary>
internal sealed class IndentedWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    public void Indent() => _indent++;

    public void Unindent() => _indent--;

    public void Line()
    {
        _builder.Append('\n');
    }

    public void Line(string text)
    {
        _builder.Append(' ', _indent * 4).Append(text).Append('\n');
    }

    public void Open(string text)
    {
        Line(text);
        Line("{");
        Indent();
    }

    public void Close(string closing = "}")
    {
        Unindent();
        Line(closing);
    }

    public override string ToString() => _builder.ToString();
}
