using System;
using Conserv.Samples.HostedEcho;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// dotnet run --project samples/HostedEcho                                   → listens where appsettings.json says (127.0.0.1:7000)
// dotnet run --project samples/HostedEcho -- --Conserv:Servers:echo:Port 0  → any configuration key from the command line
// Conserv__Servers__echo__UnixPath=/tmp/echo.sock dotnet run --project samples/HostedEcho   → or from the environment
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    // appsettings.json is copied next to the program: find it there, wherever the program is started from.
    ContentRootPath = AppContext.BaseDirectory,
});

// The server "echo": options from the section Conserv:Servers:echo, validated when the host starts; one
// EchoConnection per connection. Ctrl+C or SIGTERM stops the host, which drains the connections (DrainTimeout).
builder.Services.AddConservServer<EchoConnection>("echo");

await builder.Build().RunAsync();
