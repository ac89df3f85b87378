using Conserv.Generators.Helpers;

namespace Conserv.Generators.Emit;

/// <summary>Puts one blank line between members.</summary>
internal sealed class MemberList
{
    private readonly IndentedWriter _writer;
    private bool _first = true;

    public MemberList(IndentedWriter writer) => _writer = writer;

    public void Next()
    {
        if (!_first)
        {
            _writer.Line();
        }

        _first = false;
    }
}
