using System;
using Conserv;
using Conserv.Samples;
using Conserv.Samples.Throttle;

// dotnet run --project samples/Throttle [-- --rate 4096]   → listens on 127.0.0.1:7002
var options = SampleOptions.Parse(args, "Throttle", defaultPort: 7002,
    ("rate", "input bytes per second each client may send (default 4096; 0 = unlimited)"));
long rate = options.GetNumber("rate", 4096);
Console.WriteLine($"rate limit: {(rate == 0 ? "none" : $"{rate} bytes/s per client")}");

// Half-open: a client that sends "stream 1000000" and then ends its side still gets the whole stream.
return SampleHost.Run(options, new ThrottleServer(rate), new TcpServerOptions { AllowHalfOpen = true });
