using System.Collections.Generic;
using System.Net;

namespace Conserv;

/// <summary>
/// Admission of a server's clients: a cap on all of them and, optionally, on those of one remote address.
/// A slot is taken before the socket is made and given back exactly once, when the server forgets the client.
/// </summary>
internal sealed class ConnectionLimits
{
    private readonly int _max;
    private readonly int? _perAddress;
    private readonly Dictionary<IPAddress, int>? _byAddress;
    private int _count;

    /// <summary>Remote addresses that hold a slot now (with a per-address limit): one that left keeps no entry.</summary>
    internal int AddressesHeld => _byAddress?.Count ?? 0;

    public ConnectionLimits(TcpServerOptions options)
    {
        _max = options.MaxConnections;
        _perAddress = options.MaxConnectionsPerAddress;
        _byAddress = _perAddress is null ? null : new Dictionary<IPAddress, int>();
    }

    /// <summary>Takes a slot for a client from <paramref name="address"/> (null for a Unix-domain client), or returns false.</summary>
    public bool TryAdmit(IPAddress? address)
    {
        if (_count >= _max)
        {
            return false;
        }

        if (_byAddress is not null && address is not null)
        {
            _byAddress.TryGetValue(address, out int held);
            if (held >= _perAddress)
            {
                return false;
            }

            _byAddress[address] = held + 1;
        }

        _count++;
        return true;
    }

    /// <summary>Gives back the slot of a client from <paramref name="address"/>.</summary>
    public void Release(IPAddress? address)
    {
        _count--;
        if (_byAddress is not null && address is not null && _byAddress.TryGetValue(address, out int held))
        {
            if (held <= 1)
            {
                _byAddress.Remove(address);
            }
            else
            {
                _byAddress[address] = held - 1;
            }
        }
    }
}
