using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;

namespace Conserv.Bench.Servers;

/// <summary>Kestrel's raw-connection echo: read what the transport's pipe has, copy it to the output pipe, flush.</summary>
public sealed class KestrelEchoConnectionHandler : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        while (true)
        {
            var result = await input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            foreach (var segment in buffer)
            {
                output.Write(segment.Span);
            }

            input.AdvanceTo(buffer.End);
            if (!buffer.IsEmpty)
            {
                var flush = await output.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    break;
                }
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                break;
            }
        }
    }
}
