using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace Conserv.Analyzers;

/// <summary>
/// The framework members that block the calling thread, resolved once per compilation, and what to do instead.
/// </summary>
internal sealed class BlockingMembers
{
    private const string AwaitTask = "make the handler async and await the task";
    private const string AwaitAsync = "make the handler async and await the member's Async counterpart";
    private const string NetworkIo = "let a TcpSocket do network I/O on the loop, or make the handler async and await the member's Async counterpart";

    private static readonly string[] StreamReads = { "Read", "ReadByte", "ReadExactly", "ReadAtLeast", "CopyTo" };
    private static readonly string[] StreamWrites = { "Write", "WriteByte", "Flush" };
    private static readonly string[] TextReads = { "Read", "ReadLine", "ReadToEnd", "ReadBlock" };

    private readonly Dictionary<INamedTypeSymbol, (HashSet<string> Names, string Advice)> _members = new(SymbolEqualityComparer.Default);
    private readonly INamedTypeSymbol? _stream;
    private readonly INamedTypeSymbol? _memoryStream;
    private readonly INamedTypeSymbol? _unmanagedMemoryStream;
    private readonly INamedTypeSymbol? _textReader;
    private readonly INamedTypeSymbol? _stringReader;
    private readonly IAssemblySymbol? _runtime;

    public BlockingMembers(Compilation compilation)
    {
        void Add(string typeName, string advice, params string[] names)
        {
            if (compilation.GetTypeByMetadataName(typeName) is { } type)
            {
                _members[type] = (new HashSet<string>(names, StringComparer.Ordinal), advice);
            }
        }

        Add("System.Threading.Thread", "make the handler async and await Task.Delay, or pause the socket with socket.Pause(timeout)", "Sleep", "Join");
        Add("System.Threading.Tasks.Task", AwaitTask, "Wait", "WaitAll", "WaitAny");
        Add("System.Threading.Tasks.Task`1", AwaitTask, "Result", "Wait");
        Add("System.Threading.Tasks.ValueTask`1", AwaitTask, "Result");
        Add("System.Net.Sockets.Socket", NetworkIo, "Receive", "ReceiveFrom", "ReceiveMessageFrom", "Send", "SendTo", "SendFile", "Connect", "Accept", "Disconnect", "Select");
        Add("System.Net.Sockets.TcpClient", NetworkIo, "Connect");
        Add("System.Net.Sockets.TcpListener", NetworkIo, "AcceptSocket", "AcceptTcpClient");
        Add("System.Net.Sockets.UdpClient", NetworkIo, "Receive", "Send");
        Add("System.Net.Dns", "make the handler async and await Dns.GetHostAddressesAsync", "GetHostEntry", "GetHostAddresses", "GetHostByName", "Resolve");
        Add("System.Net.Http.HttpMessageInvoker", "make the handler async and await SendAsync", "Send");
        Add("System.Net.Http.HttpClient", "make the handler async and await SendAsync", "Send");
        Add("System.IO.File", AwaitAsync, "ReadAllText", "ReadAllBytes", "ReadAllLines", "ReadLines", "WriteAllText", "WriteAllBytes", "WriteAllLines", "AppendAllText", "AppendAllLines");
        Add("System.Console", "read the console on another thread, never on the loop thread", "Read", "ReadLine", "ReadKey");
        Add("System.Threading.WaitHandle", "make the handler async and await a task instead of waiting on a handle", "WaitOne", "WaitAll", "WaitAny", "SignalAndWait");
        Add("System.Threading.SemaphoreSlim", "make the handler async and await WaitAsync", "Wait");
        Add("System.Threading.ManualResetEventSlim", AwaitTask, "Wait");
        Add("System.Threading.CountdownEvent", AwaitTask, "Wait");
        Add("System.Threading.Barrier", AwaitTask, "SignalAndWait");
        Add("System.Threading.Monitor", AwaitTask, "Wait");
        Add("System.Diagnostics.Process", "make the handler async and await WaitForExitAsync", "WaitForExit");
        Add("System.Threading.SpinWait", "make the handler async and await a task that completes when the condition holds", "SpinUntil");

        _stream = compilation.GetTypeByMetadataName("System.IO.Stream");
        _memoryStream = compilation.GetTypeByMetadataName("System.IO.MemoryStream");
        _unmanagedMemoryStream = compilation.GetTypeByMetadataName("System.IO.UnmanagedMemoryStream");
        _runtime = compilation.GetTypeByMetadataName("Conserv.TcpSocket")?.ContainingAssembly;
        _textReader = compilation.GetTypeByMetadataName("System.IO.TextReader");
        _stringReader = compilation.GetTypeByMetadataName("System.IO.StringReader");
    }

    /// <summary>What to do instead of calling <paramref name="member"/> on a receiver of type <paramref name="receiverType"/>, or null when it does not block.</summary>
    public string? Advice(ISymbol member, ITypeSymbol? receiverType)
    {
        if (member.ContainingType?.OriginalDefinition is not { } type)
        {
            return null;
        }

        if (_members.TryGetValue(type, out var entry) && entry.Names.Contains(member.Name))
        {
            return entry.Advice;
        }

        if (member.Name == "GetResult" && type.Name.EndsWith("Awaiter", StringComparison.Ordinal)
            && type.ContainingNamespace?.ToDisplayString() == "System.Runtime.CompilerServices")
        {
            return AwaitTask; // task.GetAwaiter().GetResult()
        }

        return StreamAdvice(member, type, receiverType) ?? TextReaderAdvice(member, type, receiverType);
    }

    /// <summary>Reading a <c>TextReader</c> (<c>StreamReader.ReadLine</c>, <c>Console.In.ReadToEnd()</c>) waits for its stream or the console; a <c>StringReader</c> does not.</summary>
    private string? TextReaderAdvice(ISymbol member, INamedTypeSymbol type, ITypeSymbol? receiverType)
    {
        if (_textReader is null || Array.IndexOf(TextReads, member.Name) < 0 || !InheritsFrom(type, _textReader)
            || InheritsFrom(receiverType ?? type, _stringReader))
        {
            return null;
        }

        return "make the handler async and await the reader's Async counterpart (ReadLineAsync, ReadToEndAsync), or read the console on another thread";
    }

    private string? StreamAdvice(ISymbol member, INamedTypeSymbol type, ITypeSymbol? receiverType)
    {
        bool read = Array.IndexOf(StreamReads, member.Name) >= 0;
        bool write = Array.IndexOf(StreamWrites, member.Name) >= 0;
        if (_stream is null || (!read && !write) || !InheritsFrom(type, _stream))
        {
            return null;
        }

        ITypeSymbol receiver = receiverType ?? type;
        if (InheritsFrom(receiver, _memoryStream) || InheritsFrom(receiver, _unmanagedMemoryStream)
            || SymbolEqualityComparer.Default.Equals(receiver.ContainingAssembly, _runtime))
        {
            return null; // memory, or the socket's own stream: no I/O wait
        }

        if (write && SymbolEqualityComparer.Default.Equals(receiver, _stream))
        {
            return null; // a plain Stream may be socket.AsStream(), whose writes queue and return at once
        }

        return "make the handler async and await the stream's Async counterpart";
    }

    private static bool InheritsFrom(ITypeSymbol? type, ITypeSymbol? baseType)
    {
        if (baseType is null)
        {
            return false;
        }

        for (ITypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, baseType))
            {
                return true;
            }
        }

        return false;
    }
}
