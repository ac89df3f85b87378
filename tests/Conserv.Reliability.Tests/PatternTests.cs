using System;
using Conserv.Reliability.Tests.Support;

namespace Conserv.Reliability.Tests;

/// <summary>
/// The byte checking the reliability scenarios rely on: the pattern is the same however it is cut, and the
/// verifier catches a single changed, missing or extra byte (so "every byte verified" means something).
/// </summary>
public sealed class PatternTests
{
    [Fact]
    public void The_pattern_is_the_same_bytes_however_it_is_cut()
    {
        var pattern = new Pattern(Pattern.SeedFor(9, 1234));
        byte[] whole = pattern.ToArray(0, 10_000);
        var pieces = new byte[whole.Length];
        var random = new Random(1);
        for (int offset = 0; offset < pieces.Length;)
        {
            int n = Math.Min(random.Next(1, 20), pieces.Length - offset);
            pattern.Fill(offset, pieces.AsSpan(offset, n));
            offset += n;
        }

        Assert.Equal(whole, pieces);
        Assert.NotEqual(whole, new Pattern(Pattern.SeedFor(9, 1235)).ToArray(0, 10_000));
        Assert.True(whole.AsSpan().IndexOfAnyExcept(whole[0]) >= 0, "the pattern is not one repeated byte");
    }

    [Fact]
    public void The_verifier_accepts_the_pattern_in_any_pieces_and_counts_it()
    {
        var pattern = new Pattern(42);
        byte[] data = pattern.ToArray(100, 70_000);
        var verifier = new PatternVerifier(pattern, startOffset: 100);

        verifier.Verify(data.AsSpan(0, 1));
        verifier.Verify(data.AsSpan(1, 5000));
        verifier.Verify(data.AsSpan(5001));

        Assert.Equal(70_000, verifier.Verified);
        Assert.Equal(70_100, verifier.Position);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(65_537)]
    public void The_verifier_reports_a_single_changed_byte_at_its_offset(int changed)
    {
        var pattern = new Pattern(7);
        byte[] data = pattern.ToArray(0, 70_000);
        data[changed] ^= 0x01;

        var error = Assert.Throws<PatternMismatchException>(() => new PatternVerifier(pattern).Verify(data));

        Assert.Equal(changed, error.Offset);
    }

    [Fact]
    public void The_verifier_catches_a_lost_byte()
    {
        var pattern = new Pattern(8);
        byte[] data = pattern.ToArray(0, 1000);
        byte[] lost = [.. data.AsSpan(0, 500), .. data.AsSpan(501)];

        var error = Assert.Throws<PatternMismatchException>(() => new PatternVerifier(pattern).Verify(lost));

        Assert.True(error.Offset <= 500, $"the first difference is at or before the lost byte, not at {error.Offset}");
    }

    [Fact]
    public void Choose_stays_in_range_and_depends_on_the_seed()
    {
        var a = new Pattern(1);
        var b = new Pattern(2);
        int differing = 0;
        for (int i = 0; i < 1000; i++)
        {
            int x = a.Choose(i, 1, 4097);
            Assert.InRange(x, 1, 4096);
            differing += x != b.Choose(i, 1, 4097) ? 1 : 0;
        }

        Assert.True(differing > 900, $"only {differing} of 1000 choices differ between seeds");
    }
}
