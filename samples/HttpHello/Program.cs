using System;
using Conserv;
using Conserv.Samples;
using Conserv.Samples.HttpHello;

// dotnet run --project samples/HttpHello   → listens on 127.0.0.1:8080; then: curl http://127.0.0.1:8080/
var options = SampleOptions.Parse(args, "HttpHello", defaultPort: 8080,
    ("head-timeout", "seconds a client may take to send a request head (default 30)"),
    ("keep-alive", "seconds a kept-alive connection may wait for its next request (default 130)"));
var headTimeout = TimeSpan.FromSeconds(options.GetNumber("head-timeout", (long)HttpServer.DefaultHeadTimeout.TotalSeconds));
var keepAlive = TimeSpan.FromSeconds(options.GetNumber("keep-alive", (long)HttpServer.DefaultKeepAliveTimeout.TotalSeconds));

// The idle time-out of accepted sockets is the keep-alive time-out: a connection silent that long is dropped.
return SampleHost.Run(options, new HttpServer(headTimeout), new TcpServerOptions { IdleTimeout = keepAlive });
