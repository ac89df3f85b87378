using System;

namespace Conserv.Runtime.Tests;

/// <summary>
/// <see cref="TcpSocketOptions"/> and <see cref="TcpServerOptions"/>: the documented defaults, each range just inside
/// and just past its limit, and what the checks made when a socket or server starts say.
/// </summary>
public class OptionsTests
{
    [Fact]
    public void Socket_options_default_to_the_documented_values()
    {
        var options = new TcpSocketOptions();
        Assert.False(options.AllowHalfOpen);
        Assert.True(options.NoDelay);
        Assert.False(options.KeepAlive);
        Assert.Equal(64 * 1024, options.OutputHighWaterMark);
        Assert.Equal(32 * 1024, options.OutputLowWaterMark);
        Assert.Equal(32L * 1024 * 1024, options.OutputLimit);
        Assert.Null(options.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), options.TlsHandshakeTimeout);
    }

    [Fact]
    public void Server_options_default_to_the_documented_values()
    {
        var options = new TcpServerOptions();
        Assert.Equal(TimeSpan.FromMinutes(5), options.IdleTimeout);
        Assert.Equal(TcpServerOptions.DefaultIdleTimeout, options.IdleTimeout);
        Assert.Equal(1024, options.Backlog);
        Assert.False(options.ReusePort);
        Assert.Null(options.UnixSocketMode);
        Assert.Null(options.Tls);
        Assert.True(options.NoDelay);
    }

    [Fact]
    public void Every_time_out_accepts_null_and_the_smallest_and_largest_value_and_rejects_zero_and_just_past_the_largest()
    {
        var largest = TimeSpan.FromMilliseconds(int.MaxValue);
        var pastLargest = largest + TimeSpan.FromMilliseconds(1);
        var setters = new (string Name, Action<TcpSocketOptions, TimeSpan?> Set, Func<TcpSocketOptions, TimeSpan?> Get)[]
        {
            ("IdleTimeout", (o, v) => o.IdleTimeout = v, o => o.IdleTimeout),
            ("ConnectTimeout", (o, v) => o.ConnectTimeout = v, o => o.ConnectTimeout),
            ("TlsHandshakeTimeout", (o, v) => o.TlsHandshakeTimeout = v, o => o.TlsHandshakeTimeout),
        };

        foreach (var (name, set, get) in setters)
        {
            var options = new TcpSocketOptions();
            foreach (var accepted in new TimeSpan?[] { null, TimeSpan.FromTicks(1), largest })
            {
                set(options, accepted);
                Assert.Equal(accepted, get(options));
            }

            foreach (var rejected in new[] { TimeSpan.Zero, TimeSpan.FromTicks(-1), pastLargest })
            {
                var e = Assert.Throws<ArgumentOutOfRangeException>(() => set(options, rejected));
                Assert.Equal(name, e.ParamName);
                Assert.StartsWith("A time-out must be positive and at most about 24 days", e.Message);
                Assert.Equal(largest, get(options)); // unchanged
            }
        }
    }

    [Fact]
    public void Water_marks_and_limit_may_be_equal_and_the_messages_name_both_values()
    {
        // Equal marks and a limit equal to the high mark are valid: a server starts with them.
        var equal = new TcpServerOptions { OutputHighWaterMark = 1000, OutputLowWaterMark = 1000, OutputLimit = 1000 };
        equal.Validate("options");
        new TcpServerOptions { OutputHighWaterMark = 1, OutputLowWaterMark = 0, OutputLimit = 1 }.Validate("options");

        var lowAbove = Assert.Throws<ArgumentException>(() => new TcpSocketOptions { OutputHighWaterMark = 1000, OutputLowWaterMark = 1001 }.Validate("options"));
        Assert.Equal("options", lowAbove.ParamName);
        Assert.StartsWith("OutputLowWaterMark (1001) must not be above OutputHighWaterMark (1000).", lowAbove.Message);

        var limitBelow = Assert.Throws<ArgumentException>(() => new TcpSocketOptions { OutputHighWaterMark = 1000, OutputLowWaterMark = 10, OutputLimit = 999 }.Validate("options"));
        Assert.Equal("options", limitBelow.ParamName);
        Assert.StartsWith("OutputLimit (999) must not be below OutputHighWaterMark (1000).", limitBelow.Message);

        // No limit at all is valid with any marks.
        new TcpSocketOptions { OutputLimit = null, OutputHighWaterMark = int.MaxValue }.Validate("options");
    }

    [Fact]
    public void Server_ranges_accept_their_smallest_value_and_reject_just_below_it()
    {
        var options = new TcpServerOptions { Backlog = 1, MaxConnections = 1, MaxConnectionsPerAddress = 1, OutputHighWaterMark = 1, OutputLowWaterMark = 0, OutputLimit = 1 };
        Assert.Equal((1, 1, 1, 1, 0, 1L), (options.Backlog, options.MaxConnections, options.MaxConnectionsPerAddress, options.OutputHighWaterMark, options.OutputLowWaterMark, options.OutputLimit));
        options.MaxConnectionsPerAddress = null;
        options.OutputLimit = null;
        Assert.Null(options.MaxConnectionsPerAddress);
        Assert.Null(options.OutputLimit);

        Assert.Equal("Backlog", Assert.Throws<ArgumentOutOfRangeException>(() => options.Backlog = 0).ParamName);
        Assert.Equal(1, options.Backlog);
    }

    [Fact]
    public void A_server_group_member_gets_its_share_of_the_connection_limit_rounded_up_and_port_reuse()
    {
        var options = new TcpServerOptions { MaxConnections = 10, Backlog = 7 };

        var member = options.ForGroupMember(3);
        Assert.Equal(4, member.MaxConnections); // 10 / 3, rounded up: the group together still takes 10
        Assert.True(member.ReusePort);
        Assert.Equal(7, member.Backlog);
        Assert.NotSame(options, member);
        Assert.False(options.ReusePort); // the caller's options are left as they were
        Assert.Equal(10, options.MaxConnections);

        Assert.Equal(5, options.ForGroupMember(2).MaxConnections);
        Assert.Equal(1, new TcpServerOptions { MaxConnections = 1 }.ForGroupMember(4).MaxConnections); // never 0
    }
}
