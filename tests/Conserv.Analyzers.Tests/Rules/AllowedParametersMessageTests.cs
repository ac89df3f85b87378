using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Analyzers.Tests.Infrastructure;
using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Conserv.Analyzers.Tests.Rules;

/// <summary>
/// CONSERV002's list of allowed parameters, per event, is exactly what the binder accepts: each sample parameter type
/// is bound by the parser on its own, and the message must list it if and only if it binds.
/// </summary>
public class AllowedParametersMessageTests
{
    /// <summary>Parameter types to try, as written in C#; each binds for some events and not others (or never).</summary>
    private static readonly string[] Samples =
    [
        "TcpSocket", "TcpSocket?", "TcpServer", "TcpServer?", "CancellationToken",
        "ReadOnlySpan<byte>", "ReadOnlyMemory<byte>", "byte[]", "ArraySegment<byte>", "Memory<byte>", "Span<byte>",
        "string", "ReadOnlySpan<char>", "ReadOnlyMemory<char>", "char[]",
        "Exception", "Exception?", "IOException", "SocketException", "InvalidOperationException",
        "System.Runtime.Serialization.ISerializable", "object", "int", "Stream", "Task", "CancellationTokenSource",
    ];

    private static readonly string[] Connectives = ["and", "one", "data", "parameter", "or"];

    public static TheoryData<string> Attributes() =>
    [
        "OnSocketConnect", "OnSocketData", "OnSocketEndOfFile", "OnSocketClose", "OnSocketOutputEmpty",
        "OnSocketError", "OnSocketError(typeof(IOException))", "OnSocketError(typeof(SocketException))",
        "OnServerListen", "OnServerConnection", "OnServerError", "OnServerError(typeof(IOException))", "OnServerClose",
    ];

    [Theory]
    [MemberData(nameof(Attributes))]
    public async Task The_message_lists_exactly_the_parameters_the_binder_accepts(string attribute)
    {
        // One driver per sample, plus one with a parameter no event supplies, for the message.
        var source = new StringBuilder(Verifier<HandlerSignatureAnalyzer>.Usings);
        for (int i = 0; i < Samples.Length; i++)
        {
            source.AppendLine($"public partial class D{i} {{ [{attribute}] void H({Samples[i]} p) {{ }} }}");
        }

        source.AppendLine($"public partial class Probe {{ [{attribute}] void H(Guid p) {{ }} }}");
        CSharpCompilation compilation = AllAnalyzersRun.Compile(source.ToString());

        // What the binder accepts: the samples whose parameter gets no problem of its own.
        var known = new KnownTypes(compilation);
        var accepted = new Dictionary<string, bool>();
        for (int i = 0; i < Samples.Length; i++)
        {
            var problems = new List<BindingProblem>();
            DriverParser.Parse(compilation.GetTypeByMetadataName("D" + i)!, known, problems.Add, CancellationToken.None);
            accepted[Samples[i]] = !problems.Any(p => p.Symbol is IParameterSymbol);
        }

        Assert.Contains(true, accepted.Values); // the sample set reaches every event

        // What the message says.
        ImmutableArray<Diagnostic> diagnostics = await compilation.WithAnalyzers([new HandlerSignatureAnalyzer()]).GetAnalyzerDiagnosticsAsync();
        string message = Assert.Single(diagnostics, d => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan) == "Guid").GetMessage();
        const string Marker = "allowed parameters, in any order: ";
        string listing = message.Substring(message.IndexOf(Marker) + Marker.Length);

        Match exception = Regex.Match(listing, @"the exception as (\S+) or a base of it");
        ITypeSymbol? handled = exception.Success ? compilation.GetTypeByMetadataName(exception.Groups[1].Value) : null;
        Assert.True(!exception.Success || handled is not null, $"unknown exception type in: {listing}");

        foreach (string sample in Samples)
        {
            bool listed = Lists(listing, sample)
                || (sample.EndsWith('?') && Lists(listing, sample.TrimEnd('?')))
                || (handled is not null && IsTypeOrBaseOf(TypeOf(compilation, Array.IndexOf(Samples, sample)), handled));
            Assert.True(accepted[sample] == listed, $"[{attribute}] {sample}: binder {(accepted[sample] ? "accepts" : "rejects")} it, message {(listed ? "lists" : "omits")} it: {listing}");
        }

        // Nothing else is listed: without the samples, the remarks and the connectives, only punctuation is left.
        string rest = Regex.Replace(listing, @"\([^)]*\)", " ");
        rest = Regex.Replace(rest, @"the exception as \S+ or a base of it|the exception", " ");
        foreach (string sample in Samples.OrderByDescending(s => s.Length))
        {
            rest = Regex.Replace(rest, Token(sample), " ");
        }

        rest = Regex.Replace(rest, $@"\b({string.Join("|", Connectives)})\b|[,:]", " ");
        Assert.True(string.IsNullOrWhiteSpace(rest), $"[{attribute}] lists something no sample covers: '{rest.Trim()}' in: {listing}");
    }

    private static string Token(string type) => $@"(?<![\w.<]){Regex.Escape(type)}(?![\w?<\[])";

    private static bool Lists(string listing, string type) => Regex.IsMatch(listing, Token(type));

    private static ITypeSymbol TypeOf(Compilation compilation, int sample) =>
        compilation.GetTypeByMetadataName("D" + sample)!.GetMembers("H").OfType<IMethodSymbol>().Single().Parameters[0].Type;

    /// <summary>Whether <paramref name="type"/> can hold any <paramref name="handled"/>: it, a base class, or an interface.</summary>
    private static bool IsTypeOrBaseOf(ITypeSymbol type, ITypeSymbol handled)
    {
        for (ITypeSymbol? t = handled; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t, type))
            {
                return true;
            }
        }

        return handled.AllInterfaces.Contains(type, SymbolEqualityComparer.Default);
    }
}
