using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Conserv.Generators.Tests;

/// <summary>
/// The cost part of issue 11: the work per handler does not grow with the handlers per driver (each driver is parsed once,
/// not once per handler), and a non-sealed driver's generated part exposes a fixed number of members, not one per handler.
/// </summary>
public class GeneratorCostTests
{
    [Fact]
    public void EveryHandlerOfADriverGetsTheModelOfOneParse()
    {
        string source = Driver("One", errorHandlers: 8) + Driver("Two", errorHandlers: 3);
        GeneratorRunResult run = GeneratorHarness.CreateDriver().RunGenerators(GeneratorHarness.Compile(source)).GetRunResult().Results.Single();

        // The per-attribute steps output one model per attributed method; a parse per method would give distinct objects.
        List<object> models = run.TrackedSteps
            .Where(s => s.Key.StartsWith(TrackingNames.Handlers, System.StringComparison.Ordinal))
            .SelectMany(s => s.Value)
            .SelectMany(step => step.Outputs)
            .Select(output => output.Value)
            .ToList();
        Assert.Equal((8 + 4) + (3 + 4), models.Count);
        Assert.Equal(2, models.Distinct(ReferenceEqualityComparer.Instance).Count());
    }

    [Fact]
    public void ANonSealedDriverExposesOneMemberPerErrorEventAndOneForFeaturesWhateverItsHandlerCount()
    {
        string eight = Generate(errorHandlers: 8);
        string sixtyFour = Generate(errorHandlers: 64);

        foreach (string generated in new[] { eight, sixtyFour })
        {
            string[] exposed = Regex.Matches(generated, @"protected [^(=]* (__Conserv\w+)").Select(m => m.Groups[1].Value).ToArray();
            Assert.Equal(new[] { "__Conserv1_SocketError", "__Conserv1_Features", "__Conserv1_ServerError" }.OrderBy(n => n), exposed.OrderBy(n => n));
        }

        // Each more error handler adds one type test and call to the chain, and nothing else (the per-handler
        // trampolines added about 520 characters more each).
        double perHandler = (sixtyFour.Length - eight.Length) / 56.0;
        Assert.InRange(perHandler, 100, 260);
    }

    private static string Generate(int errorHandlers) =>
        Assert.Single(GeneratorHarness.Generate(Driver("D", errorHandlers)).Values);

    /// <summary>A non-sealed driver with the four socket events, a server error handler and error handlers for distinct exception types.</summary>
    private static string Driver(string name, int errorHandlers)
    {
        var source = new StringBuilder();
        source.AppendLine("using System; using System.Threading.Tasks; using Conserv;");
        source.AppendLine($"namespace {name}Space {{");
        for (int i = 0; i < errorHandlers; i++)
        {
            source.AppendLine($"public class E{i} : Exception {{ }}");
        }

        source.AppendLine($"public partial class {name} {{");
        source.AppendLine("[OnSocketConnect] void Connected(TcpSocket socket) { }");
        source.AppendLine("[OnSocketData] void Data(TcpSocket socket, ReadOnlySpan<byte> data) { }");
        source.AppendLine("[OnSocketClose] void Closed(Exception? cause) { }");
        source.AppendLine("[OnServerError] void ServerFailed(Exception error) { }");
        for (int i = 0; i < errorHandlers; i++)
        {
            source.AppendLine($"[OnSocketError(typeof(E{i}))] void Failed{i}(E{i} error) {{ }}");
        }

        source.AppendLine("} }");
        return source.ToString();
    }
}
