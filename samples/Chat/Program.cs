using Conserv;
using Conserv.Samples;
using Conserv.Samples.Chat;

// dotnet run --project samples/Chat        → listens on 127.0.0.1:7001; talk to it with nc/socat/telnet.
var options = SampleOptions.Parse(args, "Chat", defaultPort: 7001);
// A member whose unread messages pass 1 MiB is dropped (the default limit is 32 MiB per socket).
return SampleHost.Run(options, new ChatServer(), new TcpServerOptions { OutputLimit = 1024 * 1024 });
