using System;
using System.Linq;
using Conserv;
using Conserv.Samples.HostedEcho;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

// dotnet run --project samples/HostedEcho                                   → listens where appsettings.json says (127.0.0.1:7000)
// dotnet run --project samples/HostedEcho -- --Conserv:Servers:echo:Port 0  → any configuration key from the command line
// Conserv__Servers__echo__UnixPath=/tmp/echo.sock dotnet run --project samples/HostedEcho   → or from the environment
// dotnet run --project samples/HostedEcho -- --otel                         → and the Conserv meter on the console (OpenTelemetry)

// --otel is this sample's own switch, not a configuration key: taken out before the host reads the command line,
// where "--otel" would take the next argument as its value.
bool otel = args.Contains("--otel");
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args.Where(a => a != "--otel").ToArray(),
    // appsettings.json is copied next to the program: find it there, wherever the program is started from.
    ContentRootPath = AppContext.BaseDirectory,
});

// The server "echo": options from the section Conserv:Servers:echo, validated when the host starts; one
// EchoConnection per connection. Ctrl+C or SIGTERM stops the host, which drains the connections (DrainTimeout).
builder.Services.AddConservServer<EchoConnection>("echo");

if (otel)
{
    // The runtime's meter ("Conserv": connections, bytes, errors, time-outs, paused sockets, queued output) exported
    // to standard output every OTEL_METRIC_EXPORT_INTERVAL milliseconds (60 s unless set), and once more when the
    // host stops.
    builder.Services.AddOpenTelemetry()
        .ConfigureResource(resource => resource.AddService("HostedEcho"))
        .WithMetrics(metrics => metrics.AddMeter(ConservMetrics.MeterName).AddConsoleExporter());
}

await builder.Build().RunAsync();
