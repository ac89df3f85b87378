using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Samples.Tests.Support;

/// <summary>A plain TCP client for line protocols, with every read bounded by <see cref="SampleProcess.Timeout"/>.</summary>
public sealed class LineClient : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private LineClient(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = new StreamReader(_stream, new UTF8Encoding(false));
    }

    /// <summary>The raw stream, for byte-level writes.</summary>
    public NetworkStream Stream => _stream;

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/>.</summary>
    /// <param name="port">The port.</param>
    /// <returns>The connected client.</returns>
    public static async Task<LineClient> ConnectAsync(int port)
    {
        var client = new TcpClient { NoDelay = true };
        using var timeout = new CancellationTokenSource(SampleProcess.Timeout);
        await client.ConnectAsync("127.0.0.1", port, timeout.Token);
        return new LineClient(client);
    }

    /// <summary>Sends text as UTF-8.</summary>
    /// <param name="text">The text.</param>
    /// <returns>A task.</returns>
    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>Sends bytes.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>A task.</returns>
    public async Task SendAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(SampleProcess.Timeout);
        await _stream.WriteAsync(bytes, timeout.Token);
        await _stream.FlushAsync(timeout.Token);
    }

    /// <summary>Reads one line (bounded wait); fails if the connection ends first.</summary>
    /// <returns>The line, without its ending.</returns>
    public async Task<string> ReadLineAsync()
    {
        using var timeout = new CancellationTokenSource(SampleProcess.Timeout);
        try
        {
            return await _reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("The server closed the connection.");
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"No line within {SampleProcess.Timeout.TotalSeconds} s.");
            throw;
        }
    }

    /// <summary>Reads lines until one satisfies <paramref name="match"/> (bounded wait).</summary>
    /// <param name="match">The test.</param>
    /// <returns>The matching line.</returns>
    public async Task<string> ReadLineUntilAsync(Func<string, bool> match)
    {
        while (true)
        {
            string line = await ReadLineAsync();
            if (match(line))
            {
                return line;
            }
        }
    }

    /// <summary>Reads everything until the server closes the connection (bounded wait).</summary>
    /// <returns>The rest of the stream, as text.</returns>
    public async Task<string> ReadToEndAsync()
    {
        using var timeout = new CancellationTokenSource(SampleProcess.Timeout);
        try
        {
            return await _reader.ReadToEndAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The server did not close the connection within {SampleProcess.Timeout.TotalSeconds} s.");
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _reader.Dispose();
        _client.Dispose();
    }
}
