using System;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Conserv.Samples.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Samples.Tests;

/// <summary>The KeyValue sample, talked to by the real redis-cli (and nc for raw protocol).</summary>
public sealed class KeyValueTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Redis_cli_ping_echo_set_get()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);

        Assert.Equal("PONG\n", await Cli(kv, "PING"));
        Assert.Equal("hello world\n", await Cli(kv, "ECHO", "hello world"));
        Assert.Equal("OK\n", await Cli(kv, "SET", "greeting", "héllo ✓"));
        Assert.Equal("héllo ✓\n", await Cli(kv, "GET", "greeting"));
        Assert.Equal("(nil)\n", await Cli(kv, "--no-raw", "GET", "missing"));
    }

    [Fact]
    public async Task Redis_cli_talks_over_a_unix_socket()
    {
        string path = Net.UnixPath("kv");
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log, "--unix", path);

        var set = await Tool.RunAsync("redis-cli", ["-s", path, "SET", "where", "unix"]);
        var get = await Tool.RunAsync("redis-cli", ["-s", path, "GET", "where"]);

        Assert.Equal("OK\n", set.Text);
        Assert.Equal("unix\n", get.Text);
    }

    [Fact]
    public async Task Redis_cli_del_exists_incr_mget_mset()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);

        Assert.Equal("OK\n", await Cli(kv, "MSET", "a", "1", "b", "2", "c", "3"));
        Assert.Equal("1) \"1\"\n2) \"2\"\n3) (nil)\n4) \"3\"\n", await Cli(kv, "--no-raw", "MGET", "a", "b", "nope", "c"));
        Assert.Equal("3\n", await Cli(kv, "EXISTS", "a", "b", "c", "nope"));
        Assert.Equal("2\n", await Cli(kv, "INCR", "a"));
        Assert.Equal("1\n", await Cli(kv, "INCR", "counter"));
        Assert.Equal("2\n", await Cli(kv, "DEL", "a", "b", "nope"));
        Assert.Equal("0\n", await Cli(kv, "EXISTS", "a", "b"));
        Assert.Equal("(nil)\n", await Cli(kv, "--no-raw", "GET", "a"));
    }

    [Fact]
    public async Task Redis_cli_shows_errors_for_unknown_commands_wrong_arity_and_non_integers()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);

        Assert.StartsWith("(error) ERR unknown command 'FLY', with args beginning with: 'away'", await Cli(kv, "--no-raw", "FLY", "away"), StringComparison.Ordinal);
        Assert.Equal("(error) ERR wrong number of arguments for 'get' command\n", await Cli(kv, "--no-raw", "GET"));
        Assert.Equal("OK\n", await Cli(kv, "SET", "word", "abc"));
        Assert.Equal("(error) ERR value is not an integer or out of range\n", await Cli(kv, "--no-raw", "INCR", "word"));
        Assert.Equal("PONG\n", await Cli(kv, "PING")); // errors never take the server down
    }

    [Fact]
    public async Task Redis_cli_pipe_mode_pipelines_thousands_of_commands()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);
        var commands = new StringBuilder();
        for (int i = 0; i < 2000; i++)
        {
            commands.Append(Resp("SET", $"key:{i}", $"value {i}")).Append(Resp("INCR", "hits"));
        }

        // --pipe sends everything without waiting, then an ECHO with a random marker to find the last reply.
        var result = await Tool.RunAsync("redis-cli", ["-p", Port(kv), "--pipe"], Encoding.UTF8.GetBytes(commands.ToString()));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("errors: 0, replies: 4000", result.Text, StringComparison.Ordinal);
        Assert.Equal("2000\n", await Cli(kv, "GET", "hits"));
        Assert.Equal("value 1999\n", await Cli(kv, "GET", "key:1999"));
    }

    [Fact]
    public async Task Redis_cli_runs_commands_from_its_input_one_after_another()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);

        var result = await Tool.RunAsync("redis-cli", "SET n 41\nINCR n\nGET n\nDEL n\nEXISTS n\n", "-p", Port(kv));

        Assert.Equal("OK\n42\n42\n1\n0\n", result.Text);
    }

    [Fact]
    public async Task Inline_and_pipelined_commands_over_nc()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);

        // Inline commands (what you type into telnet), with quotes, plus a RESP array, all in one write.
        var result = await Tool.RunAsync("nc", "PING\r\nSET k \"hello world\"\r\nGET k\r\n*2\r\n$6\r\nEXISTS\r\n$1\r\nk\r\nQUIT\r\n", "-N", "127.0.0.1", Port(kv));

        Assert.Equal("+PONG\r\n+OK\r\n$11\r\nhello world\r\n:1\r\n+OK\r\n", result.Text);
    }

    [Fact]
    public async Task A_command_split_into_single_bytes_is_answered_once_whole()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);
        using var client = await LineClient.ConnectAsync(kv.Port);

        foreach (byte b in Encoding.UTF8.GetBytes(Resp("SET", "split", "across reads") + Resp("GET", "split")))
        {
            await client.SendAsync([b]);
        }

        Assert.Equal("+OK", await client.ReadLineAsync());
        Assert.Equal("$12", await client.ReadLineAsync());
        Assert.Equal("across reads", await client.ReadLineAsync());
    }

    [Fact]
    public async Task A_malformed_request_gets_an_error_and_closes_only_that_connection()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);
        using var bystander = await LineClient.ConnectAsync(kv.Port);
        await bystander.SendAsync(Resp("SET", "kept", "yes"));
        Assert.Equal("+OK", await bystander.ReadLineAsync());

        // nc without -N keeps reading until the server closes: it exits only because the server closed.
        var result = await Tool.RunAsync("nc", "*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n", "127.0.0.1", Port(kv));

        Assert.Equal("+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n", result.Text);

        await bystander.SendAsync(Resp("GET", "kept"));
        Assert.Equal("$3", await bystander.ReadLineAsync());
        Assert.Equal("yes", await bystander.ReadLineAsync());
        Assert.Equal("PONG\n", await Cli(kv, "PING"));
    }

    [Fact]
    public async Task Quit_answers_ok_and_closes()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);

        var result = await Tool.RunAsync("nc", "PING\r\nQUIT\r\nPING\r\n", "127.0.0.1", Port(kv));

        Assert.Equal("+PONG\r\n+OK\r\n", result.Text);
    }

    private static string Port(SampleProcess kv) => kv.Port.ToString(CultureInfo.InvariantCulture);

    private static async Task<string> Cli(SampleProcess kv, params string[] args)
    {
        var result = await Tool.RunAsync("redis-cli", ["-p", Port(kv), .. args]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Text;
    }

    private static string Resp(params string[] args) =>
        $"*{args.Length}\r\n" + string.Concat(args.Select(a => $"${Encoding.UTF8.GetByteCount(a)}\r\n{a}\r\n"));
}
