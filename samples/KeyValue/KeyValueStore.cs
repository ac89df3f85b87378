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
    private const int StackKeyLength = 256;

    // Latin-1 maps each byte to one char and back: a binary-safe string key. Looked up by a span of those chars,
    // so reading a key allocates nothing; only a new key becomes a string.
    private readonly Dictionary<string, (byte[] Value, long ExpiresAt)> _data = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (byte[] Value, long ExpiresAt)>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>Creates an empty store.</summary>
    public KeyValueStore() => _lookup = _data.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The number of keys (expired ones included until touched).</summary>
    public int Count => _data.Count;

    /// <summary>Gets a value, or null.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value, or null if absent or expired.</returns>
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        Span<char> chars = key.Length <= StackKeyLength ? stackalloc char[key.Length] : new char[key.Length];
        Encoding.Latin1.GetChars(key, chars);
        if (!_lookup.TryGetValue(chars, out var entry))
        {
            return null;
        }

        if (Expired(entry.ExpiresAt))
        {
            _lookup.Remove(chars);
            return null;
        }

        return entry.Value;
    }

    /// <summary>Sets a value (kept as it is: the caller gives up <paramref name="value"/>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="ttlMilliseconds">Time to live, or 0 for none.</param>
    public void Set(ReadOnlySpan<byte> key, byte[] value, long ttlMilliseconds = 0)
    {
        Span<char> chars = key.Length <= StackKeyLength ? stackalloc char[key.Length] : new char[key.Length];
        Encoding.Latin1.GetChars(key, chars);
        _lookup[chars] = (value, ttlMilliseconds == 0 ? 0 : Environment.TickCount64 + ttlMilliseconds);
    }

    /// <summary>Removes a key.</summary>
    /// <param name="key">The key.</param>
    /// <returns>True if it existed (and had not expired).</returns>
    public bool Remove(ReadOnlySpan<byte> key)
    {
        Span<char> chars = key.Length <= StackKeyLength ? stackalloc char[key.Length] : new char[key.Length];
        Encoding.Latin1.GetChars(key, chars);
        return _lookup.Remove(chars, out _, out var entry) && !Expired(entry.ExpiresAt); // an expired key goes too, uncounted
    }

    private static bool Expired(long expiresAt) => expiresAt != 0 && expiresAt <= Environment.TickCount64;
}
