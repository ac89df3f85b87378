using System;
using System.Collections.Generic;
using System.Linq;
using Conserv.Generators.Helpers;
using Conserv.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Conserv.Generators.Parsing;

/// <summary>
/// Decides whether one attributed method can be a handler, and how each of its parameters is bound.
/// Shared by the generator (which skips what fails) and the analyzers (which report each problem).
/// </summary>
internal static class HandlerBinder
{
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

    /// <summary>Binds <paramref name="method"/> as a handler of <paramref name="driverEvent"/>.</summary>
    /// <param name="method">The attributed method.</param>
    /// <param name="attribute">Its handler attribute.</param>
    /// <param name="driverEvent">The event the attribute marks.</param>
    /// <param name="known">The compilation's known types.</param>
    /// <param name="report">Receives each problem; may be null.</param>
    /// <returns>The bound handler, or null when any problem was found.</returns>
    public static HandlerModel? Bind(
        IMethodSymbol method,
        AttributeData attribute,
        DriverEvent driverEvent,
        KnownTypes known,
        Action<BindingProblem>? report)
    {
        bool ok = true;
        void Problem(HandlerProblem kind, ISymbol symbol, string? detail = null)
        {
            ok = false;
            report?.Invoke(new BindingProblem(kind, symbol, attribute, detail));
        }

        if (method.MethodKind != MethodKind.Ordinary)
        {
            Problem(HandlerProblem.NotOrdinaryMethod, method);
            return null;
        }

        if (method.IsGenericMethod)
        {
            Problem(HandlerProblem.GenericHandler, method);
        }

        if (method.IsVararg)
        {
            Problem(HandlerProblem.VarargsHandler, method);
        }

        if (IsObsoleteError(method, out string? obsoleteMessage))
        {
            Problem(HandlerProblem.ObsoleteHandler, method, obsoleteMessage);
        }

        ITypeSymbol? exceptionType = null;
        ITypeSymbol? brokenExceptionType = null;
        if (driverEvent.IsError())
        {
            if (attribute.ConstructorArguments.Length == 1)
            {
                TypedConstant argument = attribute.ConstructorArguments[0];
                if (argument.Kind == TypedConstantKind.Error)
                {
                    return null; // the compiler reports the broken attribute
                }

                exceptionType = argument.Value as ITypeSymbol;
            }
            else
            {
                exceptionType = known.Exception;
            }

            if (exceptionType is null)
            {
                // typeof(...) of nothing: [OnSocketError(null!)]. The compiler is silent; what the exception
                // parameter would receive is unknown, so it is judged as for a type that is not an exception.
                Problem(HandlerProblem.ExceptionTypeNotException, method, "null");
                brokenExceptionType = known.Exception;
            }
            else if (exceptionType.TypeKind == TypeKind.Error)
            {
                return null; // the compiler reports the broken attribute
            }
            else if (IsOpenGeneric(exceptionType) || !InheritsFrom(exceptionType, known.Exception))
            {
                Problem(HandlerProblem.ExceptionTypeNotException, method, exceptionType.ToDisplayString());
                brokenExceptionType = exceptionType;
                exceptionType = null;
            }
            else if (DriverParser.FileLocalPart(exceptionType) is not null)
            {
                // The generated file cannot name it (CS0234); the type is a real exception, so parameters are still checked against it.
                Problem(HandlerProblem.FileLocalExceptionType, method, exceptionType.ToDisplayString());
            }
        }

        FramingModel? framing = null;
        ITypeSymbol? frameType = null;
        if (driverEvent is DriverEvent.SocketLine or DriverEvent.SocketFrame)
        {
            framing = Framings.Bind(method, attribute, driverEvent, known, out frameType, Problem);
            driverEvent = attribute.NamedArguments.Any(a => a.Key == "Decoder" && a.Value.Value is not null) ? DriverEvent.SocketFrame : DriverEvent.SocketData;
        }

        ReturnKind? returnKind = BindReturn(method, driverEvent, known, Problem);
        var arguments = new List<ArgumentBinding>(method.Parameters.Length);
        var seen = new HashSet<ArgumentKind>();
        DataKind data = DataKind.None;
        bool unbound = false;
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            ArgumentKind? kind = driverEvent != DriverEvent.SocketFrame ? BindParameter(parameter, driverEvent, exceptionType, brokenExceptionType, known, Problem)
                : frameType is not null && Is(parameter.Type, frameType) && parameter.RefKind == RefKind.None ? ArgumentKind.Frame
                : frameType is null && Classify(parameter.Type, known) is null ? null // the frame parameter of a decoder already reported as unusable
                : BindParameter(parameter, driverEvent, exceptionType, brokenExceptionType, known, Problem);
            // Stryker disable once all : a mutant here leaves the pattern variable unassigned (CS0165) and Stryker would drop every mutant of the method
            if (kind is not { } k)
            {
                unbound = true;
                continue;
            }

            ArgumentKind slot = k.IsData() ? ArgumentKind.ByteMemory : k;
            if (!seen.Add(slot))
            {
                Problem(HandlerProblem.DuplicateParameter, parameter, parameter.Type.ToDisplayString());
                continue;
            }

            if (k.IsData())
            {
                data = k.IsByteData() ? DataKind.Bytes : DataKind.Text;
                if (method.IsAsync && k is ArgumentKind.ByteSpan or ArgumentKind.CharSpan)
                {
                    Problem(HandlerProblem.SpanInAsyncHandler, parameter);
                }
            }

            arguments.Add(new ArgumentBinding(k, parameter.Type.ToDisplayString(TypeFormat)));
        }

        // A parameter that could not be bound (int data) may be the data parameter with a wrong type: reported once, as that.
        if (!unbound
            && ((driverEvent == DriverEvent.SocketData && data == DataKind.None)
                || (driverEvent == DriverEvent.SocketFrame && frameType is not null && !seen.Contains(ArgumentKind.Frame))))
        {
            Problem(HandlerProblem.MissingDataParameter, method);
        }

        // Stryker disable once all : a mutant here leaves the pattern variable unassigned (CS0165) and Stryker would drop every mutant of the method
        if (!ok || returnKind is not { } returns || (framing is null && driverEvent is DriverEvent.SocketFrame))
        {
            return null;
        }

        return new HandlerModel(
            driverEvent,
            method.Name,
            method.IsStatic,
            returns,
            arguments.ToEquatableArray(),
            data,
            exceptionType?.ToDisplayString(TypeFormat),
            exceptionType is null ? 0 : DepthBelow(exceptionType, known.Exception),
            Framing: framing,
            AtLowWaterMark: driverEvent == DriverEvent.SocketOutputEmpty && IsSet(attribute, "AtLowWaterMark"));
    }

    /// <summary>Whether <paramref name="type"/> is an unbound generic type (<c>typeof(MyEx&lt;&gt;)</c>), or nested in one: no exception has that type.</summary>
    public static bool IsOpenGeneric(ITypeSymbol type)
    {
        for (INamedTypeSymbol? t = type as INamedTypeSymbol; t is not null; t = t.ContainingType)
        {
            if (t.IsUnboundGenericType)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether calling <paramref name="method"/> is an error: it (or a method it overrides) is <c>[Obsolete(message, true)]</c>.
    /// A plain <c>[Obsolete]</c> is only a warning, which the generated file disables.
    /// </summary>
    private static bool IsObsoleteError(IMethodSymbol method, out string? message)
    {
        for (IMethodSymbol? m = method; m is not null; m = m.OverriddenMethod)
        {
            foreach (AttributeData attribute in m.GetAttributes())
            {
                if (attribute.AttributeClass is { Name: "ObsoleteAttribute", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } }
                    && attribute.ConstructorArguments.Length == 2
                    && attribute.ConstructorArguments[1].Value is true)
                {
                    message = attribute.ConstructorArguments[0].Value as string;
                    return true;
                }
            }
        }

        message = null;
        return false;
    }

    /// <summary>Whether the attribute sets the named bool property to true.</summary>
    private static bool IsSet(AttributeData attribute, string property)
    {
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == property && argument.Value.Value is true)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="type"/> is <paramref name="baseType"/> or derives from it.</summary>
    public static bool InheritsFrom(ITypeSymbol? type, ITypeSymbol? baseType)
    {
        for (ITypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t, baseType))
            {
                return true;
            }
        }

        return false;
    }

    private static int DepthBelow(ITypeSymbol type, ITypeSymbol? ancestor)
    {
        int depth = 0;
        for (ITypeSymbol? t = type; t is not null && !SymbolEqualityComparer.Default.Equals(t, ancestor); t = t.BaseType)
        {
            depth++;
        }

        return depth;
    }

    private static ReturnKind? BindReturn(IMethodSymbol method, DriverEvent driverEvent, KnownTypes known, Action<HandlerProblem, ISymbol, string?> problem)
    {
        if (method.ReturnsVoid)
        {
            if (method.IsAsync)
            {
                problem(HandlerProblem.AsyncVoid, method, null);
                return null;
            }

            return ReturnKind.Void;
        }

        ITypeSymbol returnType = method.ReturnType;
        if (!driverEvent.IsVoidEvent() && !method.ReturnsByRef && !method.ReturnsByRefReadonly)
        {
            if (SymbolEqualityComparer.Default.Equals(returnType, known.ValueTask))
            {
                return ReturnKind.ValueTask;
            }

            if (SymbolEqualityComparer.Default.Equals(returnType, known.Task))
            {
                return ReturnKind.Task;
            }
        }

        problem(HandlerProblem.UnsupportedReturnType, method, returnType.ToDisplayString());
        return null;
    }

    private static ArgumentKind? BindParameter(
        IParameterSymbol parameter,
        DriverEvent driverEvent,
        ITypeSymbol? exceptionType,
        ITypeSymbol? brokenExceptionType,
        KnownTypes known,
        Action<HandlerProblem, ISymbol, string?> problem)
    {
        ITypeSymbol type = parameter.Type;
        if (parameter.RefKind != RefKind.None || type.TypeKind == TypeKind.Error)
        {
            problem(HandlerProblem.UnbindableParameter, parameter, type.ToDisplayString());
            return null;
        }

        // What the type is, whatever the event; then whether the event supplies it (EventParameters is the one table).
        if (Classify(type, known) is { } kind && EventParameters.Allows(driverEvent, kind))
        {
            if (EventParameters.MayBeNull(driverEvent, kind) && parameter.NullableAnnotation == NullableAnnotation.NotAnnotated)
            {
                problem(HandlerProblem.ParameterMustBeNullable, parameter, type.ToDisplayString());
                return null;
            }

            return kind;
        }

        if (EventParameters.Allows(driverEvent, ArgumentKind.Exception))
        {
            if (brokenExceptionType is not null
                && (InheritsFrom(type, known.Exception) || (known.Exception is { } exception && IsAssignableFrom(type, exception)) || Is(type, brokenExceptionType)))
            {
                // The attribute names no exception (reported once, as ExceptionTypeNotException): what this
                // parameter would receive is unknown, so it is neither bound nor reported.
                return null;
            }

            if (exceptionType is not null && IsAssignableFrom(type, exceptionType))
            {
                return ArgumentKind.Exception;
            }

            if (exceptionType is not null && InheritsFrom(type, known.Exception))
            {
                problem(HandlerProblem.ParameterNotAssignableFromExceptionType, parameter, exceptionType.ToDisplayString());
                return null;
            }
        }

        if (EventParameters.Allows(driverEvent, ArgumentKind.CloseCause) && Is(type, known.Exception))
        {
            if (EventParameters.MayBeNull(driverEvent, ArgumentKind.CloseCause) && parameter.NullableAnnotation == NullableAnnotation.NotAnnotated)
            {
                problem(HandlerProblem.ParameterMustBeNullable, parameter, type.ToDisplayString());
                return null;
            }

            return ArgumentKind.CloseCause;
        }

        problem(HandlerProblem.UnbindableParameter, parameter, type.ToDisplayString());
        return null;
    }

    /// <summary>The argument kind a parameter type stands for, before asking whether the event supplies it (exceptions aside).</summary>
    private static ArgumentKind? Classify(ITypeSymbol type, KnownTypes known) =>
        Is(type, known.TcpSocket) ? ArgumentKind.Socket
        : Is(type, known.TcpServer) ? ArgumentKind.Server
        : Is(type, known.CancellationToken) ? ArgumentKind.CancellationToken
        : DataArgument(type, known);

    private static ArgumentKind? DataArgument(ITypeSymbol type, KnownTypes known)
    {
        if (type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte })
        {
            return ArgumentKind.ByteArray;
        }

        if (type.SpecialType == SpecialType.System_String)
        {
            return ArgumentKind.String;
        }

        if (type is not INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named)
        {
            return null;
        }

        SpecialType element = named.TypeArguments[0].SpecialType;
        INamedTypeSymbol definition = named.OriginalDefinition;
        if (element == SpecialType.System_Byte)
        {
            return Is(definition, known.ReadOnlySpan) ? ArgumentKind.ByteSpan
                : Is(definition, known.ReadOnlyMemory) ? ArgumentKind.ByteMemory
                : Is(definition, known.ArraySegment) ? ArgumentKind.ByteSegment
                : null;
        }

        if (element == SpecialType.System_Char)
        {
            return Is(definition, known.ReadOnlySpan) ? ArgumentKind.CharSpan
                : Is(definition, known.ReadOnlyMemory) ? ArgumentKind.CharMemory
                : null;
        }

        return null;
    }

    private static bool IsAssignableFrom(ITypeSymbol target, ITypeSymbol source)
    {
        if (InheritsFrom(source, target))
        {
            return true;
        }

        foreach (INamedTypeSymbol implemented in source.AllInterfaces)
        {
            if (SymbolEqualityComparer.Default.Equals(implemented, target))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Is(ITypeSymbol type, ITypeSymbol? known) => known is not null && SymbolEqualityComparer.Default.Equals(type, known);
}
