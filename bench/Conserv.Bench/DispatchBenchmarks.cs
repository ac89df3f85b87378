using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace Conserv.Bench;

/// <summary>
/// What one driver call costs as the runtime makes it: through <see cref="ISocketEventDriver"/> (an interface
/// call on a sealed class, the completed <see cref="ValueTask"/> checked), a default interface method the
/// driver does not override, against a direct call and a delegate. No sockets involved.
/// </summary>
[MemoryDiagnoser]
public class DispatchBenchmarks
{
    private readonly byte[] _data = new byte[64];
    private CountingDriver _driver = new();
    private ISocketEventDriver _asInterface = new CountingDriver();
    private Func<TcpSocket, ReadOnlyMemory<byte>, ValueTask> _asDelegate = (_, _) => default;

    [GlobalSetup]
    public void Setup()
    {
        _driver = new CountingDriver();
        _asInterface = _driver;
        _asDelegate = _driver.OnSocketData;
    }

    [Benchmark(Baseline = true)]
    public bool Direct()
    {
        var pending = _driver.OnSocketData(null!, _data);
        return pending.IsCompleted;
    }

    [Benchmark]
    public bool Interface()
    {
        var pending = _asInterface.OnSocketData(null!, _data);
        return pending.IsCompleted;
    }

    [Benchmark]
    public bool DefaultInterfaceMethod()
    {
        var pending = _asInterface.OnSocketOutputEmpty(null!);
        return pending.IsCompleted;
    }

    [Benchmark]
    public bool Delegate()
    {
        var pending = _asDelegate(null!, _data);
        return pending.IsCompleted;
    }
}
