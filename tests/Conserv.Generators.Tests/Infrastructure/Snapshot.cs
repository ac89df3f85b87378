using System;
using System.IO;
using System.Runtime.CompilerServices;

namespace Conserv.Generators.Tests.Infrastructure;

/// <summary>
/// A small snapshot check following Verify's file conventions: the expected text lives in
/// <c>Snapshots/{Class}.{Method}#{Name}.verified.cs</c> next to the test; on a mismatch the actual text is
/// written to <c>*.received.cs</c> (git-ignored) and the test fails. Set <c>CONSERV_ACCEPT_SNAPSHOTS=1</c>
/// to write the received text as the verified one instead (then review the diff in git).
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "CONSERV_ACCEPT_SNAPSHOTS";

    public static void Verify(string actual, string name, [CallerFilePath] string testFile = "", [CallerMemberName] string method = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots");
        string stem = $"{Path.GetFileNameWithoutExtension(testFile)}.{method}#{StripCs(name)}";
        string verified = Path.Combine(directory, stem + ".verified.cs");
        string received = Path.Combine(directory, stem + ".received.cs");
        actual = actual.Replace("\r\n", "\n");

        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verified, actual);
            File.Delete(received);
            return;
        }

        string? expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            File.Delete(received);
            return;
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(received, actual);
        Assert.Fail(expected is null
            ? $"No verified snapshot {verified}; the output was written to {received}. Review it, then rename it to .verified.cs or rerun with {AcceptVariable}=1."
            : $"Snapshot {verified} differs from the output, written to {received}. Compare them (diff -u), then accept with {AcceptVariable}=1 if the change is intended.");
    }

    private static string StripCs(string name) => name.EndsWith(".cs", StringComparison.Ordinal) ? name[..^3] : name;
}
