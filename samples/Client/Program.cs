using System;
using System.Net.Security;
using Conserv;
using Conserv.Samples;
using Conserv.Samples.Client;

// Start the Echo sample first (dotnet run --project samples/Echo), then:
// dotnet run --project samples/Client [-- --port 7000 --count 5]
// Over TLS, against Echo started with --tls: dotnet run --project samples/Client -- --tls --insecure
var options = SampleOptions.ParseClient(args, "Client", defaultPort: 7000,
    ("message", "text to send (default 'hello')"),
    ("count", "stop after this many replies (default 0 = never)"),
    ("interval", "milliseconds between a reply and the next message (default 1000)"),
    ("retry", "first reconnect delay in milliseconds, doubling up to 5000 (default 250)"),
    ("max-retries", "give up after this many failed attempts in a row (default 0 = never)"));

var client = new EchoClient(new ClientSettings(
    options.Host, options.Port, options.UnixPath,
    Message: options.Get("message", "hello"),
    Count: options.GetNumber("count", 0),
    Interval: TimeSpan.FromMilliseconds(options.GetNumber("interval", 1000)),
    RetryBase: TimeSpan.FromMilliseconds(Math.Max(1, options.GetNumber("retry", 250))),
    RetryMax: TimeSpan.FromSeconds(5),
    MaxRetries: options.GetNumber("max-retries", 0),
    Tls: options.Tls ? ClientTls(options.Insecure) : null));

// Ctrl+C / SIGTERM: close the connection; the loop ends when nothing is left to do.
using var stop = new StopSignal();
_ = stop.Task.ContinueWith(_ => client.Stop(), System.Threading.Tasks.TaskScheduler.Default);

// The loop runs on this thread until the client has nothing left to do (connection closed, no timer pending).
// The client stops itself on a signal (above), so the loop leaves signals alone.
EventLoop.Run(client.Start, new EventLoopOptions { StopOnSignals = false });
return client.ExitCode;

// The server name checked is the host connected to (TargetHost left null). --insecure accepts any certificate:
// for a server with a self-signed one, on a network you trust.
static SslClientAuthenticationOptions ClientTls(bool insecure) => new()
{
    RemoteCertificateValidationCallback = insecure ? (_, _, _, _) => true : null,
};
