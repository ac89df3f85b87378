using System;
using System.Globalization;
using System.IO;

namespace Conserv.Bench.LoadClient;

/// <summary>CPU time of a process from /proc/&lt;pid&gt;/stat (utime + stime), Linux only.</summary>
public static class ProcessCpu
{
    /// <summary>USER_HZ: the unit of utime/stime; 100 on every Linux architecture .NET runs on.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>CPU seconds every process on the machine has used so far (all of /proc/stat's first line but idle and iowait), or null.</summary>
    /// <returns>Busy CPU seconds summed over every core, or null.</returns>
    public static double? MachineBusySeconds()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            string[] fields = (reader.ReadLine() ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long busy = 0;
            for (int i = 1; i < fields.Length && i <= 8; i++)
            {
                if (i is not 4 and not 5) // idle, iowait
                {
                    busy += long.Parse(fields[i], CultureInfo.InvariantCulture);
                }
            }

            return busy / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>User plus system CPU seconds the process has used so far, or null if it cannot be read.</summary>
    /// <param name="pid">The process id; "self" for this process.</param>
    /// <returns>CPU seconds, or null.</returns>
    public static double? Seconds(string pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");

            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long utime = long.Parse(fields[11], CultureInfo.InvariantCulture);   // field 14
            long stime = long.Parse(fields[12], CultureInfo.InvariantCulture);   // field 15
            return (utime + stime) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
