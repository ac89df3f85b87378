using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Conserv.Generators.Helpers;
using Conserv.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Conserv.Generators.Parsing;

/// <summary>
/// Turns a driver class into a <see cref="DriverModel"/>: its own handlers, and the error handlers and
/// features it inherits from base drivers. The one place that decides what a driver is; every problem
/// goes to the report callback (the analyzers pass one, the generator passes null).
/// </summary>
internal static class DriverParser
{
    /// <summary>Prefix of every member the generated part declares; a handler whose name starts with it is not bound.</summary>
    public const string GeneratedPrefix = DriverModel.GeneratedPrefix;

    /// <summary>
    /// The oldest C# the generated code compiles with: it writes <c>#nullable enable</c> and nullable annotations
    /// (<c>TcpServer?</c>, <c>Exception?</c>) and a static local function, all C# 8.
    /// </summary>
    public const LanguageVersion MinimumLanguageVersion = LanguageVersion.CSharp8;

    /// <summary>Parses <paramref name="type"/> as a driver.</summary>
    /// <returns>The model, or null when the type cannot be a driver or has no bindable handler.</returns>
    public static DriverModel? Parse(INamedTypeSymbol type, KnownTypes known, Action<BindingProblem>? report, CancellationToken cancellationToken)
    {
        if (!known.IsUsable || !CheckLanguageVersion(type, report) || !CheckDeclaration(type, report, cancellationToken))
        {
            return null;
        }

        List<HandlerModel> own = BindLevel(type, known, report, cancellationToken);
        if (own.Count == 0)
        {
            return null;
        }

        // What a derived driver needs from its bases: their socket features (its Features re-implements the union) and,
        // per error event, the nearest base's error dispatch (its chain consults that between its own handlers). It does
        // not need the bases' handlers one by one: the dispatch merges them, so the generated part of a base exposes one
        // member per error event rather than one per handler.
        DriverFeatures baseFeatures = DriverFeatures.None;
        string? baseSocketError = null;
        string? baseServerError = null;
        int depth = InheritanceDepth(type);
        int baseDepth = depth;
        for (INamedTypeSymbol? b = type.BaseType; b is not null && b.SpecialType != SpecialType.System_Object; b = b.BaseType)
        {
            baseDepth--;
            INamedTypeSymbol definition = b.OriginalDefinition;

            // A hand-written base's data and output-empty members are the derived driver's too (interface mapping
            // finds them), so the generated Features must ask for those events.
            baseFeatures |= HandWrittenFeatures(definition, known);
            (DriverFeatures features, bool socketErrors, bool serverErrors) = IsInSource(definition)
                ? SourceBase(definition, known, cancellationToken)
                : MetadataBase(definition, baseDepth);
            baseFeatures |= features;
            if (socketErrors)
            {
                baseSocketError ??= DriverModel.DispatchName(baseDepth, DriverEvent.SocketError);
            }

            if (serverErrors)
            {
                baseServerError ??= DriverModel.DispatchName(baseDepth, DriverEvent.ServerError);
            }
        }

        bool socketFallback = own.Any(h => h.Event == DriverEvent.SocketError)
            && CallsBaseErrorMember(type, known.SocketDriver, DriverEvent.SocketError, report);
        bool serverFallback = own.Any(h => h.Event == DriverEvent.ServerError)
            && CallsBaseErrorMember(type, known.ServerDriver, DriverEvent.ServerError, report);

        return new DriverModel(
            GetHierarchy(type),
            type.IsSealed,
            depth,
            own.ToEquatableArray(),
            baseFeatures,
            baseSocketError,
            baseServerError,
            HandledHelperName(type),
            HandWritten(type, known.SocketDriver, "Features") is not null,
            socketFallback,
            serverFallback);
    }

    /// <summary>
    /// What a base declared in source contributes, from its own handlers (as its generated part will be written):
    /// its features, and whether it has socket and server error handlers (then its generated part has their dispatch).
    /// </summary>
    private static (DriverFeatures Features, bool SocketErrors, bool ServerErrors) SourceBase(INamedTypeSymbol definition, KnownTypes known, CancellationToken cancellationToken)
    {
        if (!CheckLanguageVersion(definition, null) || !CheckDeclaration(definition, null, cancellationToken))
        {
            return default; // a base the generator skips has no generated part to call
        }

        DriverFeatures features = DriverFeatures.None;
        bool socketErrors = false;
        bool serverErrors = false;
        foreach (HandlerModel handler in BindLevel(definition, known, null, cancellationToken))
        {
            features |= FeatureOf(handler);
            socketErrors |= handler.Event == DriverEvent.SocketError;
            serverErrors |= handler.Event == DriverEvent.ServerError;
        }

        return (features, socketErrors, serverErrors);
    }

    /// <summary>
    /// What a base compiled in another assembly contributes, read from the members its generated part exposes to derived
    /// drivers (protected, so a reference assembly keeps them): the features constant and the error dispatches.
    /// </summary>
    private static (DriverFeatures Features, bool SocketErrors, bool ServerErrors) MetadataBase(INamedTypeSymbol definition, int depth)
    {
        DriverFeatures features = DriverFeatures.None;
        foreach (ISymbol member in definition.GetMembers(DriverModel.FeaturesName(depth)))
        {
            if (member is IFieldSymbol { HasConstantValue: true, ConstantValue: int value } && IsGenerated(member))
            {
                features |= (DriverFeatures)value;
            }
        }

        return (features, HasDispatch(DriverEvent.SocketError), HasDispatch(DriverEvent.ServerError));

        bool HasDispatch(DriverEvent errorEvent) =>
            definition.GetMembers(DriverModel.DispatchName(depth, errorEvent)).Any(m => m is IMethodSymbol && IsGenerated(m));
    }

    /// <summary>
    /// Whether <paramref name="symbol"/> was written by this generator (its <c>[GeneratedCode("Conserv.Generators", …)]</c>):
    /// the analyzers see the generated part beside the user's code, the generator never does.
    /// </summary>
    public static bool IsGenerated(ISymbol symbol)
    {
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "GeneratedCodeAttribute" }
                && attribute.ConstructorArguments.Length > 0
                && attribute.ConstructorArguments[0].Value is "Conserv.Generators")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The member of <paramref name="type"/> itself (not generated) that implements <paramref name="driverInterface"/>'s
    /// <paramref name="memberName"/>: an explicit implementation, or a public instance member with the interface member's
    /// name and signature. Null when there is none.
    /// </summary>
    public static ISymbol? HandWritten(INamedTypeSymbol type, INamedTypeSymbol? driverInterface, string memberName)
    {
        if (driverInterface is null || driverInterface.GetMembers(memberName).FirstOrDefault() is not { } interfaceMember)
        {
            return null;
        }

        foreach (ISymbol member in type.GetMembers())
        {
            bool isExplicit = member switch
            {
                IMethodSymbol m => m.ExplicitInterfaceImplementations.Any(i => SymbolEqualityComparer.Default.Equals(i, interfaceMember)),
                IPropertySymbol p => p.ExplicitInterfaceImplementations.Any(i => SymbolEqualityComparer.Default.Equals(i, interfaceMember)),
                _ => false,
            };
            bool isImplicit = !isExplicit
                && member.Name == memberName
                && member is { IsStatic: false, DeclaredAccessibility: Accessibility.Public }
                && SameSignature(member, interfaceMember);
            if ((isExplicit || isImplicit) && !IsGenerated(member))
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>The socket features a hand-written base's own members handle: <c>OnSocketData</c>, <c>OnSocketText</c>, <c>OnSocketOutputEmpty</c>.</summary>
    private static DriverFeatures HandWrittenFeatures(INamedTypeSymbol type, KnownTypes known)
    {
        DriverFeatures features = DriverFeatures.None;
        if (HandWritten(type, known.SocketDriver, "OnSocketData") is not null)
        {
            features |= DriverFeatures.ByteData;
        }

        if (HandWritten(type, known.SocketDriver, "OnSocketText") is not null)
        {
            features |= DriverFeatures.TextData;
        }

        if (HandWritten(type, known.SocketDriver, "OnSocketOutputEmpty") is not null)
        {
            features |= DriverFeatures.OutputEmpty;
        }

        return features;
    }

    private static bool SameSignature(ISymbol member, ISymbol interfaceMember) => (member, interfaceMember) switch
    {
        (IMethodSymbol m, IMethodSymbol i) => !m.IsGenericMethod
            && SymbolEqualityComparer.Default.Equals(m.ReturnType, i.ReturnType)
            && m.Parameters.Length == i.Parameters.Length
            && m.Parameters.Zip(i.Parameters, (a, b) => a.RefKind == b.RefKind && SymbolEqualityComparer.Default.Equals(a.Type, b.Type)).All(same => same),
        (IPropertySymbol p, IPropertySymbol i) => p.Parameters.Length == 0 && SymbolEqualityComparer.Default.Equals(p.Type, i.Type),
        _ => false,
    };

    /// <summary>
    /// Whether the driver's generated error member should end by calling the error member a hand-written base implements
    /// as a public method (<c>base.OnSocketError(socket, error)</c>). A base that implements it explicitly cannot be called
    /// from a derived class; that is reported as <see cref="HandlerProblem.UnreachableBaseErrorMember"/>.
    /// </summary>
    private static bool CallsBaseErrorMember(INamedTypeSymbol type, INamedTypeSymbol? driverInterface, DriverEvent errorEvent, Action<BindingProblem>? report)
    {
        if (driverInterface is null)
        {
            return false;
        }

        string memberName = errorEvent == DriverEvent.SocketError ? "OnSocketError" : "OnServerError";
        for (INamedTypeSymbol? b = type.BaseType; b is not null && b.SpecialType != SpecialType.System_Object; b = b.BaseType)
        {
            // Stryker disable once all : a mutant here leaves the pattern variable unassigned (CS0165) and Stryker would drop every mutant of the method
            if (!b.AllInterfaces.Contains(driverInterface, SymbolEqualityComparer.Default) || HandWritten(b, driverInterface, memberName) is not { } written)
            {
                continue; // not a driver by hand, or a generated one: its handlers are in the chain already
            }

            if (written.IsAbstract)
            {
                return false; // nothing to call: the override is the driver's own, or a class between
            }

            if (written is IMethodSymbol { MethodKind: MethodKind.ExplicitInterfaceImplementation })
            {
                report?.Invoke(new BindingProblem(HandlerProblem.UnreachableBaseErrorMember, type, null, driverInterface.Name + "." + memberName, written));
                return false;
            }

            return true;
        }

        return false;
    }

    /// <summary>
    /// The name of the generated private helper: <c>__ConservHandled</c>, unless the driver declares a member of that
    /// name or a base has a non-private one (then <c>__ConservHandled_2</c>, …), so the helper never collides or hides.
    /// </summary>
    private static string HandledHelperName(INamedTypeSymbol type)
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (ISymbol member in type.GetMembers())
        {
            if (!IsGenerated(member))
            {
                taken.Add(member.Name);
            }
        }

        for (INamedTypeSymbol? b = type.BaseType; b is not null; b = b.BaseType)
        {
            foreach (ISymbol member in b.GetMembers())
            {
                if (member.DeclaredAccessibility != Accessibility.Private)
                {
                    taken.Add(member.Name);
                }
            }
        }

        string name = DriverModel.DefaultHandledHelper;
        for (int n = 2; taken.Contains(name); n++)
        {
            name = DriverModel.DefaultHandledHelper + "_" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return name;
    }

    /// <summary>Checks that the C# version of <paramref name="type"/>'s declaration is at least <see cref="MinimumLanguageVersion"/>.</summary>
    public static bool CheckLanguageVersion(INamedTypeSymbol type, Action<BindingProblem>? report)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: var version } && version < MinimumLanguageVersion)
            {
                report?.Invoke(new BindingProblem(HandlerProblem.LanguageVersionTooOld, type, null, version.ToDisplayString()));
                return false;
            }
        }

        return true;
    }

    /// <summary>The outermost <c>file</c>-local type among <paramref name="type"/>, its containing types and (for constructed types) its type arguments, or null.</summary>
    public static INamedTypeSymbol? FileLocalPart(ITypeSymbol type)
    {
        if (type is IArrayTypeSymbol array)
        {
            return FileLocalPart(array.ElementType);
        }

        INamedTypeSymbol? found = null;
        for (INamedTypeSymbol? t = type as INamedTypeSymbol; t is not null; t = t.ContainingType)
        {
            if (t.IsFileLocal)
            {
                found = t;
            }

            // Type parameters are skipped: their containing type is this one, and only constructed arguments matter.
            foreach (ITypeSymbol argument in t.TypeArguments)
            {
                if (argument is not ITypeParameterSymbol)
                {
                    found ??= FileLocalPart(argument);
                }
            }
        }

        return found;
    }

    /// <summary>Checks that <paramref name="type"/> can get a generated part: a non-static class, partial, in partial types.</summary>
    public static bool CheckDeclaration(INamedTypeSymbol type, Action<BindingProblem>? report, CancellationToken cancellationToken)
    {
        if (type.TypeKind != TypeKind.Class)
        {
            report?.Invoke(new BindingProblem(HandlerProblem.DriverNotClass, type, null, type.TypeKind.ToString()));
            return false;
        }

        if (type.IsStatic)
        {
            report?.Invoke(new BindingProblem(HandlerProblem.DriverIsStatic, type, null, null));
            return false;
        }

        if (FileLocalPart(type) is { } local)
        {
            report?.Invoke(new BindingProblem(HandlerProblem.FileLocalDriver, type, null, local.Name));
            return false;
        }

        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            if (!IsPartial(t, cancellationToken))
            {
                report?.Invoke(new BindingProblem(HandlerProblem.NotPartial, t, null, null));
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Binds the handlers a driver declared in source declares itself (not those of its bases). The generated part's own
    /// members, which the analyzers see beside the user's code, are skipped. Duplicated handlers are all dropped (and
    /// reported, from the second on).
    /// </summary>
    public static List<HandlerModel> BindLevel(INamedTypeSymbol type, KnownTypes known, Action<BindingProblem>? report, CancellationToken cancellationToken)
    {
        var candidates = new List<(IMethodSymbol Method, AttributeData Attribute, DriverEvent Event)>();
        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Stryker disable once all : a mutant here leaves the pattern variable unassigned (CS0165) and Stryker would drop every mutant of the method
            if (member is not IMethodSymbol method)
            {
                continue;
            }

            bool reserved = method.Name.StartsWith(GeneratedPrefix, StringComparison.Ordinal);
            if (reserved && IsGenerated(method))
            {
                continue;
            }

            foreach (AttributeData attribute in method.GetAttributes())
            {
                if (known.TryGetEvent(attribute, out DriverEvent driverEvent))
                {
                    if (reserved)
                    {
                        report?.Invoke(new BindingProblem(HandlerProblem.ReservedName, method, attribute, GeneratedPrefix));
                        continue;
                    }

                    candidates.Add((method, attribute, driverEvent));
                }
            }
        }

        var bound = new List<(HandlerModel Model, IMethodSymbol Method, AttributeData Attribute)>();
        foreach (var c in candidates)
        {
            // Stryker disable once all : a mutant here leaves the pattern variable unassigned (CS0165) and Stryker would drop every mutant of the method
            if (HandlerBinder.Bind(c.Method, c.Attribute, c.Event, known, report) is not { } model)
            {
                continue;
            }

            string member = model.Event.InterfaceMember(model.Data);
            if (HandWritten(type, known.InterfaceFor(model.Event), member) is { } written)
            {
                // The generated part would implement the member a second time (CS8646, or the hand-written one silently unused).
                report?.Invoke(new BindingProblem(HandlerProblem.HandWrittenEvent, c.Method, c.Attribute, known.InterfaceFor(model.Event)!.Name + "." + member, written));
                continue;
            }

            bound.Add((model, c.Method, c.Attribute));
        }

        // One framing per driver: every data and frame handler must agree with the first one (raw is a framing too).
        var firstData = bound.FirstOrDefault(b => b.Model.Event is DriverEvent.SocketData or DriverEvent.SocketFrame);
        if (firstData.Model is not null)
        {
            foreach (var other in bound.Where(b => b.Model.Event is DriverEvent.SocketData or DriverEvent.SocketFrame).Skip(1).ToList())
            {
                if (!Equals(other.Model.Framing, firstData.Model.Framing) || other.Model.Event != firstData.Model.Event)
                {
                    report?.Invoke(new BindingProblem(HandlerProblem.FramingConflict, other.Method, other.Attribute, firstData.Method.Name, firstData.Method));
                    bound.Remove(other);
                }
            }
        }

        var result = new List<HandlerModel>(bound.Count);
        foreach (var group in bound.GroupBy(b => (b.Model.Event, b.Model.Data, b.Model.ExceptionType)))
        {
            if (group.Count() == 1)
            {
                result.Add(group.First().Model);
                continue;
            }

            HandlerProblem kind = group.Key.Event.IsError() ? HandlerProblem.DuplicateErrorType : HandlerProblem.DuplicateHandler;
            string? detail = kind == HandlerProblem.DuplicateErrorType ? group.Key.ExceptionType
                : group.Key.Data != DataKind.None ? DataKindName(group.Key.Data)
                : null;
            foreach (var duplicate in group.Skip(1))
            {
                report?.Invoke(new BindingProblem(kind, duplicate.Method, duplicate.Attribute, detail, group.First().Method));
            }
        }

        // Keep declaration order, whatever the grouping did.
        result.Sort((a, b) => bound.FindIndex(x => ReferenceEquals(x.Model, a)).CompareTo(bound.FindIndex(x => ReferenceEquals(x.Model, b))));
        return result;
    }

    /// <summary>The socket feature a handler provides.</summary>
    public static DriverFeatures FeatureOf(HandlerModel handler) => handler switch
    {
        { Data: DataKind.Bytes } => DriverFeatures.ByteData,
        { Data: DataKind.Text } => DriverFeatures.TextData,
        { Event: DriverEvent.SocketOutputEmpty, AtLowWaterMark: true } => DriverFeatures.OutputEmpty | DriverFeatures.OutputEmptyAtLowWaterMark,
        { Event: DriverEvent.SocketOutputEmpty } => DriverFeatures.OutputEmpty,
        _ => DriverFeatures.None,
    };

    /// <summary>The <see cref="BindingProblem.Detail"/> of a duplicated data handler: which slot is taken.</summary>
    public static string DataKindName(DataKind data) => data == DataKind.Bytes ? "bytes" : data == DataKind.Text ? "text" : "none";

    private static bool IsInSource(INamedTypeSymbol type) => type.Locations.Any(l => l.IsInSource);

    private static int InheritanceDepth(INamedTypeSymbol type)
    {
        int depth = 0;
        for (INamedTypeSymbol? b = type.BaseType; b is not null; b = b.BaseType)
        {
            depth++;
        }

        return depth;
    }

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration
                && declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                return true;
            }
        }

        return false;
    }

    private static HierarchyInfo GetHierarchy(INamedTypeSymbol type)
    {
        var types = new List<TypeDeclaration>();
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            string typeParameters = t.TypeParameters.Length == 0
                ? string.Empty
                : "<" + string.Join(", ", t.TypeParameters.Select(p => Identifiers.Escape(p.Name))) + ">";
            types.Insert(0, new TypeDeclaration(Keyword(t), t.Name, typeParameters, t.TypeParameters.Length));
        }

        // Names as metadata spells them (no '@'): the hint name is made from them, and the emitter escapes keywords.
        var segments = new List<string>();
        for (INamespaceSymbol? n = type.ContainingNamespace; n is { IsGlobalNamespace: false }; n = n.ContainingNamespace)
        {
            segments.Insert(0, n.Name);
        }

        return new HierarchyInfo(string.Join(".", segments), types.ToEquatableArray());
    }

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };
}
