using System;
using System.Net.Sockets;
using System.Reflection;
using Conserv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Conserv.Generators.Tests;

/// <summary>
/// An overload beside a handler never captures the generated call: every argument has exactly the type of the
/// attributed method's parameter, so the attributed method is the best overload (issue 11, item 3).
/// </summary>
public class OverloadTests
{
    private const string Trace = "namespace App { public static class Trace { public static string? Last; } }";

    [Theory]
    [InlineData("void Err(SocketException e) => global::App.Trace.Last = \"plain\";")]
    [InlineData("void Err<T>(T e) => global::App.Trace.Last = \"generic\";")]
    [InlineData("static void Err(SocketException e) => global::App.Trace.Last = \"static\";")]
    [InlineData("void Err(object e) => global::App.Trace.Last = \"object\"; void Err(SocketException e, int retries = 0) => global::App.Trace.Last = \"optional\";")]
    public void TheAttributedErrorHandlerRunsInTheDriverAndInADerivedDriver(string overload)
    {
        string source = $$"""
            using System;
            using System.Net.Sockets;
            using Conserv;

            namespace App;

            public partial class Base
            {
                [OnSocketError(typeof(SocketException))] void Err(Exception e) => global::App.Trace.Last = "attributed";
                {{overload}}

                [OnSocketError(typeof(TimeoutException))] void Late(TcpSocket socket, Exception e) => global::App.Trace.Last = "late";
                void Late(TcpSocket socket, TimeoutException e) => global::App.Trace.Last = "late-plain";

                [OnServerError(typeof(SocketException))] void Accept(Exception e) => global::App.Trace.Last = "accept";
                void Accept(SocketException e) => global::App.Trace.Last = "accept-plain";
            }

            public sealed partial class Derived : Base
            {
                [OnSocketError(typeof(InvalidOperationException))] void Own() => global::App.Trace.Last = "own";
                [OnServerError(typeof(InvalidOperationException))] void OwnServer() => global::App.Trace.Last = "own-server";
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.Compile(source, Trace));
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Empty(GeneratorHarness.Problems(output));

        Assembly assembly = GeneratorHarness.Load(output);
        FieldInfo last = assembly.GetType("App.Trace", throwOnError: true)!.GetField("Last")!;
        foreach (string type in new[] { "App.Base", "App.Derived" })
        {
            object driver = Activator.CreateInstance(assembly.GetType(type, throwOnError: true)!)!;
            Assert.Equal("attributed", Run(last, () => ((ISocketEventDriver)driver).OnSocketError(null!, new SocketException())));
            Assert.Equal("late", Run(last, () => ((ISocketEventDriver)driver).OnSocketError(null!, new TimeoutException())));
            Assert.Equal("accept", Run(last, () => ((IServerEventDriver)driver).OnServerError(null!, new SocketException())));
        }
    }

    private static string? Run(FieldInfo last, Func<System.Threading.Tasks.ValueTask<bool>> call)
    {
        last.SetValue(null, null);
        Assert.True(call().Result);
        return (string?)last.GetValue(null);
    }
}
