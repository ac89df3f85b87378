using System.Collections.Generic;
using Conserv.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Conserv.Generators.Parsing;

/// <summary>The symbols binding looks for, resolved once per compilation.</summary>
internal sealed class KnownTypes
{
    public const string Namespace = "Conserv";

    /// <summary>The handler attributes' metadata names and the events they mark.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, DriverEvent>> Attributes = new[]
    {
        Pair("Conserv.OnSocketConnectAttribute", DriverEvent.SocketConnect),
        Pair("Conserv.OnSocketDataAttribute", DriverEvent.SocketData),
        Pair("Conserv.OnSocketLineAttribute", DriverEvent.SocketLine),
        Pair("Conserv.OnSocketFrameAttribute", DriverEvent.SocketFrame),
        Pair("Conserv.OnSocketEndOfFileAttribute", DriverEvent.SocketEndOfFile),
        Pair("Conserv.OnSocketCloseAttribute", DriverEvent.SocketClose),
        Pair("Conserv.OnSocketOutputEmptyAttribute", DriverEvent.SocketOutputEmpty),
        Pair("Conserv.OnSocketErrorAttribute", DriverEvent.SocketError),
        Pair("Conserv.OnServerListenAttribute", DriverEvent.ServerListen),
        Pair("Conserv.OnServerConnectionAttribute", DriverEvent.ServerConnection),
        Pair("Conserv.OnServerErrorAttribute", DriverEvent.ServerError),
        Pair("Conserv.OnServerCloseAttribute", DriverEvent.ServerClose),
    };

    private readonly Dictionary<INamedTypeSymbol, DriverEvent> _attributes = new(SymbolEqualityComparer.Default);

    public KnownTypes(Compilation compilation)
    {
        Compilation = compilation;
        foreach (KeyValuePair<string, DriverEvent> pair in Attributes)
        {
            if (compilation.GetTypeByMetadataName(pair.Key) is { } attribute)
            {
                _attributes[attribute] = pair.Value;
            }
        }

        TcpSocket = compilation.GetTypeByMetadataName("Conserv.TcpSocket");
        TcpServer = compilation.GetTypeByMetadataName("Conserv.TcpServer");
        Exception = compilation.GetTypeByMetadataName("System.Exception");
        CancellationToken = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        ReadOnlySpan = compilation.GetTypeByMetadataName("System.ReadOnlySpan`1");
        ReadOnlyMemory = compilation.GetTypeByMetadataName("System.ReadOnlyMemory`1");
        ArraySegment = compilation.GetTypeByMetadataName("System.ArraySegment`1");
        ValueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask");
        Task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        FrameDecoder = compilation.GetTypeByMetadataName("Conserv.IFrameDecoder`1");
        SocketDriver = compilation.GetTypeByMetadataName("Conserv.ISocketEventDriver");
        ServerDriver = compilation.GetTypeByMetadataName("Conserv.IServerEventDriver");
    }

    /// <summary>The compilation the types were looked up in (for accessibility checks).</summary>
    public Compilation Compilation { get; }

    public INamedTypeSymbol? TcpSocket { get; }

    public INamedTypeSymbol? TcpServer { get; }

    public INamedTypeSymbol? Exception { get; }

    public INamedTypeSymbol? CancellationToken { get; }

    public INamedTypeSymbol? ReadOnlySpan { get; }

    public INamedTypeSymbol? ReadOnlyMemory { get; }

    public INamedTypeSymbol? ArraySegment { get; }

    public INamedTypeSymbol? ValueTask { get; }

    public INamedTypeSymbol? Task { get; }

    /// <summary><c>Conserv.IFrameDecoder&lt;TFrame&gt;</c>, the contract of a decoder framing.</summary>
    public INamedTypeSymbol? FrameDecoder { get; }

    /// <summary>The runtime's <c>ISocketEventDriver</c>.</summary>
    public INamedTypeSymbol? SocketDriver { get; }

    /// <summary>The runtime's <c>IServerEventDriver</c>.</summary>
    public INamedTypeSymbol? ServerDriver { get; }

    /// <summary>The interface whose member a handler of <paramref name="driverEvent"/> implements.</summary>
    public INamedTypeSymbol? InterfaceFor(DriverEvent driverEvent) => driverEvent.IsServerEvent() ? ServerDriver : SocketDriver;

    /// <summary>Whether the runtime is referenced at all (without it nothing can be generated).</summary>
    public bool IsUsable => TcpSocket is not null && TcpServer is not null && Exception is not null && _attributes.Count == Attributes.Count;

    /// <summary>The event an attribute marks, if it is a handler attribute.</summary>
    public bool TryGetEvent(AttributeData attribute, out DriverEvent driverEvent)
    {
        driverEvent = default;
        return attribute.AttributeClass is { } cls && _attributes.TryGetValue(cls, out driverEvent);
    }

    private static KeyValuePair<string, DriverEvent> Pair(string name, DriverEvent e) => new(name, e);
}
