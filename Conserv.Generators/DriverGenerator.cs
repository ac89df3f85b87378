using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Conserv.Generators.Emit;
using Conserv.Generators.Helpers;
using Conserv.Generators.Model;
using Conserv.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Conserv.Generators;

/// <summary>
/// Implements the runtime's driver interfaces for every partial class with attributed handler methods.
/// Reports no diagnostics: what cannot be bound is skipped, and the analyzers say why.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class DriverGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValueProvider<EquatableArray<DriverModel>>? all = null;
        foreach (KeyValuePair<string, DriverEvent> attribute in KnownTypes.Attributes)
        {
            IncrementalValueProvider<EquatableArray<DriverModel>> drivers = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    attribute.Key,
                    static (node, _) => node is MethodDeclarationSyntax,
                    static (context, cancellationToken) => Transform(context, cancellationToken))
                .Where(static model => model is not null)
                .Select(static (model, _) => model!)
                .WithTrackingName(TrackingNames.Handlers + attribute.Value)
                .Collect()
                .Select(static (models, _) => models.ToEquatableArray());
            all = all is null
                ? drivers
                : all.Value.Combine(drivers).Select(static (pair, _) => pair.Left.Concat(pair.Right).ToEquatableArray());
        }

        // One model per driver (each of its handlers found it), ordered by exact metadata name; then hint names,
        // which depend on every driver's name (a case-insensitive collision renames the drivers involved).
        IncrementalValuesProvider<GeneratedDriver> distinct = all!.Value
            .Select(static (models, _) => HintNames.Assign(models
                .GroupBy(m => m.Hierarchy.MetadataName, System.StringComparer.Ordinal)
                .Select(g => g.First())
                .OrderBy(m => m.Hierarchy.MetadataName, System.StringComparer.Ordinal)
                .ToList()))
            .WithTrackingName(TrackingNames.Drivers)
            .SelectMany(static (models, _) => models)
            .WithTrackingName(TrackingNames.Driver);

        context.RegisterSourceOutput(distinct, static (context, driver) =>
            context.AddSource(driver.HintName, SourceText.From(DriverEmitter.Emit(driver.Driver), System.Text.Encoding.UTF8)));
    }

    // FAWMN calls the transform once per attributed method, but a driver's model is the whole class (its handlers, its
    // bases, its members' names): parsing it per method made the cost per handler grow with the handlers per driver
    // (n handlers: n parses of n handlers each). One parse per driver per compilation, memoized on the type symbol;
    // every handler of the driver returns the same model object. The tables are weak, so they live only as long as
    // the compilation does, and nothing symbol-based reaches a pipeline step (the step outputs are the models).
    private static readonly ConditionalWeakTable<Compilation, KnownTypes> KnownTypesByCompilation = new();
    private static readonly ConditionalWeakTable<INamedTypeSymbol, ParsedDriver> ModelsByType = new();

    private static DriverModel? Transform(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not IMethodSymbol { ContainingType: { } type })
        {
            return null;
        }

        if (ModelsByType.TryGetValue(type, out ParsedDriver? parsed))
        {
            return parsed.Model;
        }

        KnownTypes known = KnownTypesByCompilation.GetValue(context.SemanticModel.Compilation, static c => new KnownTypes(c));
        DriverModel? model = DriverParser.Parse(type, known, report: null, cancellationToken);

        // Another thread may have parsed the same type meanwhile: keep the first model, so all handlers share one object.
        return ModelsByType.GetValue(type, _ => new ParsedDriver(model)).Model;
    }

    /// <summary>A memoized parse, null model included (a type that is not a driver is not parsed again either).</summary>
    private sealed class ParsedDriver
    {
        public ParsedDriver(DriverModel? model) => Model = model;

        public DriverModel? Model { get; }
    }
}
