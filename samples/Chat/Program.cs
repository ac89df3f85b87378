using Conserv.Samples;
using Conserv.Samples.Chat;

// dotnet run --project samples/Chat        → listens on 127.0.0.1:7001; talk to it with nc/socat/telnet.
var options = SampleOptions.Parse(args, "Chat", defaultPort: 7001);
return SampleHost.Run(options, new ChatServer());
