using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Bench.Servers;

namespace Conserv.Bench.EchoServers;

/// <summary>
/// Runs one echo server on 127.0.0.1 until SIGTERM/SIGINT, end of standard input (with --stdin), or
/// --max-seconds. Prints "LISTENING port pid" once bound, so a script can wait for it.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        string impl = "conserv";
        int port = 0;
        int threads = 0;
        int maxSeconds = 900;
        bool watchStdin = false;
        string? tlsCert = null, tlsKey = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--impl": impl = Next(); break;
                case "--port": port = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--max-seconds": maxSeconds = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--stdin": watchStdin = true; break;
                case "--tls-cert": tlsCert = Next(); break;
                case "--tls-key": tlsKey = Next(); break;
                default:
                    Console.Error.WriteLine($"""
                        usage: EchoServers --impl {string.Join('|', EchoServerFactory.Names)} [--port N] [--threads N] [--max-seconds N] [--stdin] [--tls-cert cert.pem --tls-key key.pem]
                          --threads      loops (conserv-group), IOQueueCount (kestrel), worker loops (dotnetty); default one per core
                          --max-seconds  exit after this long whatever happens (default 900)
                          --stdin        also exit when standard input closes
                          --tls-cert/key the PEM pair of the -tls echoes; without it they make a self-signed ECDSA P-256 certificate for localhost
                        unknown argument: {args[i]}
                        """);
                    return 2;
            }
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(maxSeconds));
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        if (watchStdin)
        {
            _ = Task.Run(() =>
            {
                while (Console.In.ReadLine() is not null)
                {
                }

                stop.Cancel();
            });
        }

        using var certificate = EchoServerFactory.NeedsCertificate(impl) ? TlsCertificate.Load(tlsCert, tlsKey) : null;
        await using var server = EchoServerFactory.Create(impl, threads, certificate);
        await server.StartAsync(port);
        Console.WriteLine($"LISTENING {server.Port} {Environment.ProcessId} {server.Name} cores={Environment.ProcessorCount}");
        Console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        return 0;
    }
}
