using System.Threading.Tasks;
using Conserv.Samples;
using Conserv.Samples.HttpHello;

// dotnet run --project samples/HttpHello   → listens on 127.0.0.1:8080; then: curl http://127.0.0.1:8080/
var options = SampleOptions.Parse(args, "HttpHello", defaultPort: 8080);
return await SampleHost.RunAsync(options, new HttpServer());
