using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
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

    private static DriverModel? Transform(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not IMethodSymbol { ContainingType: { } type })
        {
            return null;
        }

        var known = new KnownTypes(context.SemanticModel.Compilation);
        return DriverParser.Parse(type, known, report: null, cancellationToken);
    }
}
