using System;
using System.Globalization;
using System.IO;
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
    public async Task Redis_cli_set_nx_only_creates_and_set_xx_only_replaces_as_redis_does()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);

        Assert.Equal("(nil)\n", await Cli(kv, "--no-raw", "SET", "k", "first", "XX")); // XX: no key, nothing set
        Assert.Equal("(nil)\n", await Cli(kv, "--no-raw", "GET", "k"));
        Assert.Equal("OK\n", await Cli(kv, "--no-raw", "SET", "k", "first", "NX")); // NX: no key, set
        Assert.Equal("(nil)\n", await Cli(kv, "--no-raw", "SET", "k", "second", "nx")); // NX: the key exists, kept
        Assert.Equal("\"first\"\n", await Cli(kv, "--no-raw", "GET", "k"));
        Assert.Equal("OK\n", await Cli(kv, "--no-raw", "SET", "k", "third", "xx")); // XX: the key exists, replaced
        Assert.Equal("\"third\"\n", await Cli(kv, "--no-raw", "GET", "k"));
        Assert.Equal("OK\n", await Cli(kv, "--no-raw", "SET", "k", "fourth")); // neither: always set
        Assert.Equal("\"fourth\"\n", await Cli(kv, "--no-raw", "GET", "k"));
        Assert.Equal("(error) ERR syntax error\n", await Cli(kv, "--no-raw", "SET", "k", "fifth", "NX", "XX"));
        Assert.Equal("\"fourth\"\n", await Cli(kv, "--no-raw", "GET", "k"));
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
    public async Task Redis_cli_incrby_decr_and_decrby_count_up_and_down_from_missing_and_existing_keys()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);

        Assert.Equal("5\n", await Cli(kv, "INCRBY", "counter", "5"));
        Assert.Equal("3\n", await Cli(kv, "INCRBY", "counter", "-2"));
        Assert.Equal("-7\n", await Cli(kv, "DECRBY", "counter", "10"));
        Assert.Equal("-8\n", await Cli(kv, "DECR", "counter"));
        Assert.Equal("-8\n", await Cli(kv, "GET", "counter"));
        Assert.Equal("-1\n", await Cli(kv, "DECR", "fresh"));
        Assert.Equal("4\n", await Cli(kv, "DECRBY", "other", "-4"));
        Assert.Equal("OK\n", await Cli(kv, "SET", "n", "100"));
        Assert.Equal("58\n", await Cli(kv, "DECRBY", "n", "42"));
        Assert.Equal("158\n", await Cli(kv, "INCRBY", "n", "100"));
        Assert.Equal("157\n", await Cli(kv, "DECR", "n"));
    }

    [Fact]
    public async Task Redis_cli_incrby_decr_and_decrby_refuse_non_integers_wrong_arity_and_overflow_as_redis_does()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);
        const string notAnInteger = "(error) ERR value is not an integer or out of range\n";

        Assert.Equal("OK\n", await Cli(kv, "SET", "word", "abc"));
        Assert.Equal(notAnInteger, await Cli(kv, "--no-raw", "INCRBY", "word", "1"));
        Assert.Equal(notAnInteger, await Cli(kv, "--no-raw", "DECR", "word"));
        Assert.Equal(notAnInteger, await Cli(kv, "--no-raw", "DECRBY", "counter", "ten"));
        Assert.Equal(notAnInteger, await Cli(kv, "--no-raw", "INCRBY", "counter", "1.5"));
        Assert.Equal("(error) ERR wrong number of arguments for 'decrby' command\n", await Cli(kv, "--no-raw", "DECRBY", "counter"));
        Assert.Equal("(error) ERR wrong number of arguments for 'decr' command\n", await Cli(kv, "--no-raw", "DECR", "a", "b"));

        Assert.Equal("OK\n", await Cli(kv, "SET", "max", "9223372036854775807"));
        Assert.Equal("(error) ERR increment or decrement would overflow\n", await Cli(kv, "--no-raw", "INCRBY", "max", "1"));
        Assert.Equal("-9223372036854775807\n", await Cli(kv, "DECRBY", "min", "9223372036854775807"));
        Assert.Equal("-9223372036854775808\n", await Cli(kv, "DECR", "min"));
        Assert.Equal("(error) ERR increment or decrement would overflow\n", await Cli(kv, "--no-raw", "DECR", "min"));
        Assert.Equal("(error) ERR increment or decrement would overflow\n", await Cli(kv, "--no-raw", "DECRBY", "min", "1"));
        // Negating the smallest integer overflows by itself: Redis refuses it before looking at the key.
        Assert.Equal("(error) ERR decrement would overflow\n", await Cli(kv, "--no-raw", "DECRBY", "zero", "-9223372036854775808"));
        Assert.Equal("(nil)\n", await Cli(kv, "--no-raw", "GET", "zero"));
        // Failed commands change nothing.
        Assert.Equal("9223372036854775807\n", await Cli(kv, "GET", "max"));
        Assert.Equal("-9223372036854775808\n", await Cli(kv, "GET", "min"));
    }

    [Fact]
    public async Task Redis_cli_dbsize_counts_the_keys()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);

        Assert.Equal("0\n", await Cli(kv, "DBSIZE"));
        Assert.Equal("OK\n", await Cli(kv, "MSET", "a", "1", "b", "2", "c", "3"));
        Assert.Equal("3\n", await Cli(kv, "DBSIZE"));
        Assert.Equal("OK\n", await Cli(kv, "SET", "a", "again"));
        Assert.Equal("3\n", await Cli(kv, "DBSIZE"));
        Assert.Equal("1\n", await Cli(kv, "INCR", "d"));
        Assert.Equal("4\n", await Cli(kv, "DBSIZE"));
        Assert.Equal("2\n", await Cli(kv, "DEL", "b", "c", "nope"));
        Assert.Equal("2\n", await Cli(kv, "DBSIZE"));
        Assert.Equal("(error) ERR wrong number of arguments for 'dbsize' command\n", await Cli(kv, "--no-raw", "DBSIZE", "extra"));
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
    public async Task A_command_cut_by_the_servers_reads_at_every_place_even_between_CR_and_LF_is_answered()
    {
        await using var kv = await SampleProcess.StartServerAsync("KeyValue", log);
        using var client = await LineClient.ConnectAsync(kv.Port);
        int length = Encoding.UTF8.GetByteCount(Resp("SET", "cut", "value 00"));

        for (int cut = 1; cut < length; cut++)
        {
            byte[] set = Encoding.UTF8.GetBytes(Resp("SET", "cut", $"value {cut:D2}"));

            // The first piece goes behind a PING in one send, which the server reads whole: its +PONG proves the
            // server has read the piece, so the rest comes in a later read. The server's reads end exactly at
            // `cut`: within a header, between a CR and its LF, within the value, between the value's CR and LF.
            await client.SendAsync([.. "PING\r\n"u8, .. set[..cut]]);
            Assert.Equal("+PONG", await client.ReadLineAsync());
            await client.SendAsync([.. set[cut..], .. Encoding.UTF8.GetBytes(Resp("GET", "cut"))]);

            string context = $"cut after {cut} bytes ({Encoding.UTF8.GetString(set[..cut]).Replace("\r", "\\r").Replace("\n", "\\n")})";
            await ExpectLineAsync(client, "+OK", context);
            await ExpectLineAsync(client, "$8", context);
            await ExpectLineAsync(client, $"value {cut:D2}", context);
        }
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

    private static async Task ExpectLineAsync(LineClient client, string expected, string context)
    {
        string line;
        try
        {
            line = await client.ReadLineAsync();
        }
        catch (IOException e)
        {
            Assert.Fail($"{context}: expected '{expected}', but {e.Message}");
            throw;
        }

        Assert.True(line == expected, $"{context}: expected '{expected}', got '{line}'");
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
