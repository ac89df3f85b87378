using System;
using System.Collections.Generic;
using System.Text;

namespace Conserv.Samples.KeyValue;

/// <summary>
/// The data: binary-safe keys and values, with optional expiry checked lazily on access. Used only on the
/// server's loop thread, so it needs no locks.
/// </summary>
public sealed class KeyValueStore
{
    // Latin-1 maps each byte to one char and back: a binary-safe string key.
    private readonly Dictionary<string, (byte[] Value, long ExpiresAt)> _data = new(StringComparer.Ordinal);

    /// <summary>The number of keys (expired ones included until touched).</summary>
    public int Count => _data.Count;

    /// <summary>Gets a value, or null.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value, or null if absent or expired.</returns>
    public byte[]? Get(byte[] key)
    {
        string k = Key(key);
        if (!_data.TryGetValue(k, out var entry))
        {
            return null;
        }

        if (entry.ExpiresAt != 0 && entry.ExpiresAt <= Environment.TickCount64)
        {
            _data.Remove(k);
            return null;
        }

        return entry.Value;
    }

    /// <summary>Sets a value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="ttlMilliseconds">Time to live, or 0 for none.</param>
    public void Set(byte[] key, byte[] value, long ttlMilliseconds = 0) =>
        _data[Key(key)] = (value, ttlMilliseconds == 0 ? 0 : Environment.TickCount64 + ttlMilliseconds);

    /// <summary>Removes a key.</summary>
    /// <param name="key">The key.</param>
    /// <returns>True if it existed (and had not expired).</returns>
    public bool Remove(byte[] key) => Get(key) is not null && _data.Remove(Key(key));

    private static string Key(byte[] key) => Encoding.Latin1.GetString(key);
}
