using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace Conserv.Reliability.Tests.Support;

/// <summary>
/// The figures of one scenario run. Each figure is printed to the test output as it is recorded; at the end
/// the whole set is printed again and, when the environment variable <see cref="FileVariable"/> names a file,
/// appended to it as one line of JSON (with the outcome, so a failed run leaves its figures too).
/// </summary>
public sealed class ReliabilityReport
{
    /// <summary>The environment variable naming the JSON-lines file figures are appended to.</summary>
    public const string FileVariable = "CONSERV_RELIABILITY_REPORT";

    private readonly List<KeyValuePair<string, object>> _figures = new();
    private readonly ITestOutputHelper _log;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>A report for scenario <paramref name="scenario"/>.</summary>
    /// <param name="scenario">The scenario's name (the test method's, say).</param>
    /// <param name="log">The test's output.</param>
    public ReliabilityReport(string scenario, ITestOutputHelper log)
    {
        Scenario = scenario;
        _log = log;
    }

    /// <summary>The scenario's name.</summary>
    public string Scenario { get; }

    /// <summary>Records a figure (a number, string or bool) and prints it.</summary>
    /// <param name="name">The figure's name, snake_case (it becomes a JSON key).</param>
    /// <param name="value">Its value.</param>
    public void Add(string name, object value)
    {
        lock (_figures)
        {
            _figures.RemoveAll(f => f.Key == name);
            _figures.Add(new(name, value));
        }

        _log.WriteLine($"{name} = {Format(value)}");
    }

    /// <summary>Records the figures of a process snapshot under <paramref name="prefix"/>: fds, sockets, RSS and peak RSS.</summary>
    /// <param name="prefix">Names the moment, e.g. <c>server_baseline</c>.</param>
    /// <param name="figures">The snapshot.</param>
    public void Add(string prefix, ProcessFigures figures)
    {
        Add(prefix + "_fds", figures.Descriptors);
        Add(prefix + "_sockets", figures.Sockets);
        Add(prefix + "_rss_mib", Math.Round(figures.RssMiB, 1));
        Add(prefix + "_peak_rss_mib", Math.Round(figures.PeakRssMiB, 1));
    }

    /// <summary>
    /// Runs the scenario, then prints every figure with the outcome and the elapsed time and appends them as
    /// one JSON line to the report file (also when the scenario fails; its exception is rethrown).
    /// </summary>
    /// <param name="scenario">The test body.</param>
    /// <returns>When done.</returns>
    public async Task RunAsync(Func<Task> scenario)
    {
        string outcome = "failed";
        string? error = null;
        try
        {
            await scenario();
            outcome = "passed";
        }
        catch (Exception e)
        {
            error = e.Message.Split('\n')[0];
            throw;
        }
        finally
        {
            Finish(outcome, error);
        }
    }

    private void Finish(string outcome, string? error)
    {
        Add("elapsed_s", Math.Round(_clock.Elapsed.TotalSeconds, 2));
        KeyValuePair<string, object>[] figures;
        lock (_figures)
        {
            figures = _figures.ToArray();
        }

        var text = new StringBuilder($"--- {Scenario}: {outcome} ---\n");
        foreach (var (name, value) in figures)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {name,-34} {Format(value)}\n");
        }

        _log.WriteLine(text.ToString());

        string? path = Environment.GetEnvironmentVariable(FileVariable);
        if (string.IsNullOrWhiteSpace(path))
        {
            return;
        }

        var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("scenario", Scenario);
            writer.WriteString("outcome", outcome);
            if (error is not null)
            {
                writer.WriteString("error", error);
            }

            writer.WriteString("utc", DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture));
            writer.WriteNumber("processors", Environment.ProcessorCount);
            writer.WriteString("os", RuntimeInformation.OSDescription);
            writer.WriteString("runtime", RuntimeInformation.FrameworkDescription);
            foreach (var (name, value) in figures)
            {
                switch (value)
                {
                    case int i: writer.WriteNumber(name, i); break;
                    case long l: writer.WriteNumber(name, l); break;
                    case double d: writer.WriteNumber(name, d); break;
                    case bool b: writer.WriteBoolean(name, b); break;
                    default: writer.WriteString(name, Format(value)); break;
                }
            }

            writer.WriteEndObject();
        }

        json.WriteByte((byte)'\n');
        try
        {
            using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            json.Position = 0;
            json.CopyTo(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.WriteLine($"could not append the figures to {path} ({FileVariable}): {e.Message}");
        }
    }

    private static string Format(object value) => value switch
    {
        double d => d.ToString("0.##", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
