using System;
using System.Text;
using System.Threading.Tasks;
using Conserv.Samples.Tests.Support;
using Xunit.Abstractions;

namespace Conserv.Samples.Tests;

/// <summary>The Chat sample with several concurrent raw TCP clients.</summary>
public sealed class ChatTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Three_clients_see_joins_messages_from_the_others_and_leaves()
    {
        await using var chat = await SampleProcess.StartServerAsync("Chat", log);
        using var alice = await Join(chat.Port, "alice");
        using var bob = await Join(chat.Port, "bob");
        Assert.Equal("* bob joined", await alice.ReadLineAsync());
        using var carol = await Join(chat.Port, "carol");
        Assert.Equal("* carol joined", await alice.ReadLineAsync());
        Assert.Equal("* carol joined", await bob.ReadLineAsync());

        await alice.SendAsync("hi all\n");
        Assert.Equal("<alice> hi all", await bob.ReadLineAsync());
        Assert.Equal("<alice> hi all", await carol.ReadLineAsync());

        // The sender does not get its own message: the next thing alice reads is bob's.
        await bob.SendAsync("hello alice\n");
        Assert.Equal("<bob> hello alice", await alice.ReadLineAsync());
        Assert.Equal("<bob> hello alice", await carol.ReadLineAsync());

        carol.Dispose();
        Assert.Equal("* carol left", await alice.ReadLineAsync());
        Assert.Equal("* carol left", await bob.ReadLineAsync());
    }

    [Fact]
    public async Task Nicks_are_unique_and_commands_work()
    {
        await using var chat = await SampleProcess.StartServerAsync("Chat", log);
        using var alice = await Join(chat.Port, "alice");

        using var second = await LineClient.ConnectAsync(chat.Port);
        Assert.StartsWith("Welcome", await second.ReadLineAsync(), StringComparison.Ordinal);
        await second.SendAsync("ALICE\n");
        Assert.Equal("! ALICE is taken. Your nick?", await second.ReadLineAsync());
        await second.SendAsync("bob\n");
        Assert.Equal("Hello bob! Online: alice", await second.ReadLineAsync());
        Assert.Equal("* bob joined", await alice.ReadLineAsync());

        await second.SendAsync("/nick robert\n");
        Assert.Equal("You are now robert", await second.ReadLineAsync());
        Assert.Equal("* bob is now robert", await alice.ReadLineAsync());

        await alice.SendAsync("/who\n");
        Assert.Equal("Online: alice, robert", await alice.ReadLineAsync());

        await second.SendAsync("/quit\n");
        Assert.Equal("Bye!", await second.ReadLineAsync());
        Assert.Equal("", await second.ReadToEndAsync());
        Assert.Equal("* robert left", await alice.ReadLineAsync());
    }

    [Fact]
    public async Task Utf8_characters_and_lines_split_across_writes_arrive_whole()
    {
        await using var chat = await SampleProcess.StartServerAsync("Chat", log);
        using var alice = await Join(chat.Port, "alice");
        using var bob = await Join(chat.Port, "bob");
        Assert.Equal("* bob joined", await alice.ReadLineAsync());

        // "héllo wörld ✓ 😀" cut in the middle of every multi-byte character, one write each.
        byte[] bytes = Encoding.UTF8.GetBytes("héllo wörld ✓ 😀\r\nsecond line\n");
        int[] cuts = [2, 9, 13, 16, 20, 22, bytes.Length - 5];
        int start = 0;
        foreach (int cut in cuts)
        {
            await bob.SendAsync(bytes[start..cut]);
            start = cut;
        }

        await bob.SendAsync(bytes[start..]);

        Assert.Equal("<bob> héllo wörld ✓ 😀", await alice.ReadLineAsync());
        Assert.Equal("<bob> second line", await alice.ReadLineAsync());
    }

    [Fact]
    public async Task A_line_over_4_KiB_ends_only_its_senders_connection_even_sent_in_pieces()
    {
        await using var chat = await SampleProcess.StartServerAsync("Chat", log);
        using var alice = await Join(chat.Port, "alice");
        using var bob = await Join(chat.Port, "bob");
        Assert.Equal("* bob joined", await alice.ReadLineAsync());

        // Exactly 4,096 bytes (a "é" is two) with its \r\n is a line; then 4,097 in three writes is not.
        await bob.SendAsync(new string('é', 2048) + "\r\n");
        Assert.Equal("<bob> " + new string('é', 2048), await alice.ReadLineAsync());
        await bob.SendAsync(new string('x', 2000));
        await bob.SendAsync(new string('x', 2000));
        await bob.SendAsync(new string('x', 97));

        Assert.Equal("! Line longer than 4096 bytes. Bye.", await bob.ReadLineAsync());
        Assert.Equal("", await bob.ReadToEndAsync());
        Assert.Equal("* bob left", await alice.ReadLineAsync());
        await alice.SendAsync("still here\n");
        using var carol = await Join(chat.Port, "carol");
        Assert.Equal("* carol joined", await alice.ReadLineAsync());
    }

    [Fact]
    public async Task Many_clients_at_once_all_get_every_message()
    {
        await using var chat = await SampleProcess.StartServerAsync("Chat", log);
        var clients = new LineClient[8];
        try
        {
            for (int i = 0; i < clients.Length; i++)
            {
                clients[i] = await Join(chat.Port, $"user{i}");
            }

            // Everyone speaks at once; each client must see the 7 others' messages (in any order).
            await Task.WhenAll(Array.ConvertAll(clients, c => c.SendAsync("ping\n")));
            await Task.WhenAll(Array.ConvertAll(clients, async c =>
            {
                int messages = 0;
                while (messages < clients.Length - 1)
                {
                    string line = await c.ReadLineAsync();
                    if (line.EndsWith("> ping", StringComparison.Ordinal))
                    {
                        messages++;
                    }
                }
            }));
        }
        finally
        {
            foreach (var client in clients)
            {
                client?.Dispose();
            }
        }
    }

    private static async Task<LineClient> Join(int port, string nick)
    {
        var client = await LineClient.ConnectAsync(port);
        Assert.StartsWith("Welcome to the Conserv chat", await client.ReadLineAsync(), StringComparison.Ordinal);
        await client.SendAsync(nick + "\n");
        Assert.StartsWith($"Hello {nick}!", await client.ReadLineAsync(), StringComparison.Ordinal);
        return client;
    }
}
