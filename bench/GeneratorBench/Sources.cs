using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GeneratorBench;

/// <summary>A scenario's syntax trees (one file per driver or class) and the first file after a one-line edit.</summary>
/// <param name="Trees">The files.</param>
/// <param name="EditedFirstTree">The first file with one attributed item changed so that its output changes.</param>
internal sealed record Source(ImmutableArray<SyntaxTree> Trees, SyntaxTree EditedFirstTree);

/// <summary>The three scenarios' sources: the same number of files and of attributed items per file.</summary>
internal static class Sources
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    /// <summary>.NET 10 reference assemblies, Conserv.Runtime and Microsoft.Extensions.Logging.Abstractions.</summary>
    public static readonly ImmutableArray<MetadataReference> References = Basic.Reference.Assemblies.Net100.References.All
        .Cast<MetadataReference>()
        .Append(MetadataReference.CreateFromFile(typeof(Conserv.TcpSocket).Assembly.Location))
        .Append(MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.Logging.ILogger).Assembly.Location))
        .ToImmutableArray();

    /// <summary>
    /// Non-sealed drivers (so each exposes what derived drivers need) with five socket events and error handlers for
    /// distinct exception types up to <paramref name="handlers"/> handlers per driver (one handler per event otherwise).
    /// The edit adds a parameter to one handler of the first driver.
    /// </summary>
    /// <param name="drivers">How many drivers (files).</param>
    /// <param name="handlers">Handlers per driver, at least 6.</param>
    /// <param name="sealedDrivers">Sealed drivers instead, which expose nothing to derived drivers (before issue 11 too).</param>
    public static Source Conserv(int drivers, int handlers, bool sealedDrivers = false)
    {
        int errors = handlers - 5;
        var exceptions = new StringBuilder("namespace Bench;\n");
        for (int e = 0; e < errors; e++)
        {
            exceptions.Append("public class Failure").Append(e).Append(" : System.IO.IOException { }\n");
        }

        string Driver(int i, bool edited)
        {
            var s = new StringBuilder();
            s.Append("using System;\nusing Conserv;\n\nnamespace Bench;\n\n");
            s.Append(sealedDrivers ? "public sealed partial class Driver" : "public partial class Driver").Append(i).Append("\n{\n");
            s.Append("    [OnSocketConnect] void Connected(TcpSocket socket) { }\n");
            s.Append("    [OnSocketData] void Data(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);\n");
            s.Append(edited
                ? "    [OnSocketEndOfFile] void Ended(TcpSocket socket, System.Threading.CancellationToken token) { }\n"
                : "    [OnSocketEndOfFile] void Ended(TcpSocket socket) { }\n");
            s.Append("    [OnSocketOutputEmpty] void Drained(TcpSocket socket) { }\n");
            s.Append("    [OnSocketClose] void Closed(TcpSocket socket, Exception? cause) { }\n");
            for (int e = 0; e < errors; e++)
            {
                s.Append("    [OnSocketError(typeof(Failure").Append(e).Append("))] void Failed").Append(e).Append("(Failure").Append(e).Append(" error) { }\n");
            }

            return s.Append("}\n").ToString();
        }

        return Build(drivers, Driver, exceptions.ToString());
    }

    /// <summary>Classes of <paramref name="perClass"/> [GeneratedRegex] methods, each a different small pattern. The edit changes one pattern.</summary>
    public static Source Regex(int classes, int perClass)
    {
        string Class(int i, bool edited)
        {
            var s = new StringBuilder("using System.Text.RegularExpressions;\n\nnamespace Bench;\n\n");
            s.Append("public static partial class Patterns").Append(i).Append("\n{\n");
            for (int j = 0; j < perClass; j++)
            {
                string letters = edited && j == 0 ? "a-y" : "a-z";
                s.Append("    [GeneratedRegex(@\"^item").Append(i).Append('_').Append(j).Append("-[").Append(letters).Append("]+\\d*$\")] public static partial Regex P").Append(j).Append("();\n");
            }

            return s.Append("}\n").ToString();
        }

        return Build(classes, Class, extra: null);
    }

    /// <summary>Classes of <paramref name="perClass"/> [LoggerMessage] methods. The edit changes one message.</summary>
    public static Source Logging(int classes, int perClass)
    {
        string Class(int i, bool edited)
        {
            var s = new StringBuilder("using Microsoft.Extensions.Logging;\n\nnamespace Bench;\n\n");
            s.Append("public static partial class Log").Append(i).Append("\n{\n");
            for (int j = 0; j < perClass; j++)
            {
                string verb = edited && j == 0 ? "changed" : "happened";
                s.Append("    [LoggerMessage(EventId = ").Append(j).Append(", Level = LogLevel.Information, Message = \"Event ").Append(j).Append(' ').Append(verb).Append(" with {Value}\")] public static partial void L").Append(j).Append("(ILogger logger, int value);\n");
            }

            return s.Append("}\n").ToString();
        }

        return Build(classes, Class, extra: null);
    }

    private static Source Build(int count, System.Func<int, bool, string> file, string? extra)
    {
        var trees = Enumerable.Range(0, count).Select(i => Parse(file(i, false), i)).ToList();
        if (extra is not null)
        {
            trees.Add(Parse(extra, count));
        }

        return new Source(trees.ToImmutableArray(), Parse(file(0, true), 0));
    }

    private static SyntaxTree Parse(string text, int i) => CSharpSyntaxTree.ParseText(text, ParseOptions, path: $"File{i}.cs");
}
