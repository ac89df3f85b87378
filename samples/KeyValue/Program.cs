using Conserv.Samples;
using Conserv.Samples.KeyValue;

// dotnet run --project samples/KeyValue    → listens on 127.0.0.1:6380; then: redis-cli -p 6380 SET greeting hello
var options = SampleOptions.Parse(args, "KeyValue", defaultPort: 6380);
return SampleHost.Run(options, new KeyValueServer());
