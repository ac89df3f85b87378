using System;
using System.Collections.Generic;
using System.Linq;

namespace Conserv.Runtime.Tests;

/// <summary>
/// The byte queue under the TLS layer and the in-memory transport, against a list of bytes as its model: random
/// appends, takes, skips and searches with fixed seeds (reproducible, bounded), and no array held once it is empty.
/// </summary>
public class ByteQueueTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Random_operations_match_a_list_of_bytes_and_an_empty_queue_holds_no_array(int seed)
    {
        var random = new Random(seed);
        var queue = new ByteQueue();
        var model = new List<byte>();
        byte next = 0;
        for (int step = 0; step < 3000; step++)
        {
            switch (random.Next(6))
            {
                case 0:
                case 1:
                    // Mostly small appends, now and then one larger than the array held (it must grow).
                    var bytes = new byte[random.Next(4) == 0 ? random.Next(0, 3000) : random.Next(0, 300)];
                    for (int i = 0; i < bytes.Length; i++)
                    {
                        bytes[i] = next++;
                    }

                    queue.Append(bytes);
                    model.AddRange(bytes);
                    break;
                case 2:
                    var destination = new byte[random.Next(0, 400)];
                    int taken = queue.Take(destination);
                    int expected = Math.Min(destination.Length, model.Count);
                    Assert.Equal(expected, taken);
                    Assert.Equal(model.Take(expected), destination.Take(taken));
                    Assert.All(destination.Skip(taken), b => Assert.Equal(0, b)); // nothing written past what was taken
                    model.RemoveRange(0, expected);
                    break;
                case 3:
                    int count = random.Next(0, model.Count + 1);
                    Assert.Equal(model.Take(count), queue.Take(count));
                    model.RemoveRange(0, count);
                    break;
                case 4:
                    int skip = random.Next(0, model.Count + 1);
                    queue.Skip(skip);
                    model.RemoveRange(0, skip);
                    break;
                default:
                    byte value = model.Count > 0 && random.Next(2) == 0 ? model[random.Next(model.Count)] : (byte)random.Next(256);
                    Assert.Equal(model.IndexOf(value), queue.IndexOf(value));
                    break;
            }

            Assert.Equal(model.Count, queue.Length);
            Assert.Equal(model, queue.Pending.ToArray());
            if (model.Count == 0)
            {
                Assert.Equal(0, queue.Capacity);
            }
        }

        queue.Clear();
        Assert.Equal(0, queue.Length);
        Assert.Equal(0, queue.Capacity);
    }

    [Fact]
    public void The_first_array_is_at_least_256_bytes_and_a_full_one_doubles()
    {
        var queue = new ByteQueue();
        queue.Append(new byte[1]);
        Assert.InRange(queue.Capacity, 256, 511); // the pool may round up, never below what was asked
        int first = queue.Capacity;
        queue.Append(new byte[first - 1]); // exactly full: no new array
        Assert.Equal(first, queue.Capacity);
        queue.Append(new byte[1]);
        Assert.True(queue.Capacity >= 2 * first, $"grew from {first} to {queue.Capacity}");

        // Room at the front is reclaimed in the same array when what is left and what comes fit.
        var reclaim = new ByteQueue();
        reclaim.Append(new byte[200]);
        int capacity = reclaim.Capacity;
        reclaim.Skip(150);
        reclaim.Append(Enumerable.Range(0, capacity - 50).Select(i => (byte)i).ToArray());
        Assert.Equal(capacity, reclaim.Capacity);
        Assert.Equal(capacity, reclaim.Length);
        Assert.Equal(new byte[50].Concat(Enumerable.Range(0, capacity - 50).Select(i => (byte)i)), reclaim.Pending.ToArray());
    }

    [Fact]
    public void An_array_reclaimed_in_place_is_not_given_back_to_the_pool_while_the_queue_still_uses_it()
    {
        var queue = new ByteQueue();
        var first = Enumerable.Range(0, 200).Select(i => (byte)i).ToArray();
        queue.Append(first);
        int capacity = queue.Capacity;
        queue.Skip(150);
        queue.Append(Enumerable.Repeat((byte)7, capacity - 50).ToArray()); // fits once the front is reclaimed: same array

        // Whoever rents arrays of that size next must not get the queue's: it would write over the queued bytes.
        var rented = Enumerable.Range(0, 16).Select(_ => System.Buffers.ArrayPool<byte>.Shared.Rent(capacity)).ToArray();
        foreach (var array in rented)
        {
            Array.Fill(array, (byte)0xEE);
        }

        Assert.Equal(first[150..].Concat(Enumerable.Repeat((byte)7, capacity - 50)), queue.Pending.ToArray());
        foreach (var array in rented)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(array);
        }
    }
}
