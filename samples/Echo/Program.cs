using Conserv.Samples;
using Conserv.Samples.Echo;

// dotnet run --project samples/Echo                 → listens on 127.0.0.1:7000
// dotnet run --project samples/Echo -- --unix /tmp/echo.sock [--port 7000]
var options = SampleOptions.Parse(args, "Echo", defaultPort: 7000);
return SampleHost.Run(options, new EchoDriver());
