using System;
using System.IO;
using System.Threading.Tasks;

namespace Conserv.Samples.Tests.Support;

/// <summary>
/// A throw-away directory holding a self-signed ECDSA P-256 certificate for localhost and its key, made by
/// <c>openssl req</c> (as a user would make them), as PEM files. Disposing deletes the directory.
/// </summary>
public sealed class PemFiles : IDisposable
{
    private PemFiles(string directory)
    {
        Directory = directory;
    }

    /// <summary>The directory.</summary>
    public string Directory { get; }

    /// <summary>The certificate (<c>c.pem</c>).</summary>
    public string Cert => Path.Combine(Directory, "c.pem");

    /// <summary>Its private key (<c>k.pem</c>, PKCS#8).</summary>
    public string Key => Path.Combine(Directory, "k.pem");

    /// <summary>Makes a key and certificate with <c>openssl req -x509</c> in a new temp directory.</summary>
    /// <returns>The files.</returns>
    public static async Task<PemFiles> CreateAsync()
    {
        var files = new PemFiles(System.IO.Directory.CreateTempSubdirectory("conserv-pem-").FullName);
        await files.MakeAsync("k.pem", "c.pem");
        return files;
    }

    /// <summary>Makes another key and certificate in the same directory (for a key that does not match <see cref="Cert"/>).</summary>
    /// <param name="keyName">The key's file name.</param>
    /// <param name="certName">The certificate's file name.</param>
    /// <returns>A task that completes once both files exist.</returns>
    public async Task MakeAsync(string keyName, string certName)
    {
        var result = await Tool.RunAsync("openssl", "", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", Path.Combine(Directory, keyName), "-out", Path.Combine(Directory, certName), "-days", "1", "-subj", "/CN=localhost");
        Assert.True(result.ExitCode == 0, $"openssl req failed: {result}");
    }

    /// <summary>The SHA-256 fingerprint of <paramref name="pemText"/>'s (first) certificate, as <c>openssl x509 -fingerprint -sha256</c> prints it.</summary>
    /// <param name="pemText">Text holding a PEM certificate (openssl x509 skips what comes before it).</param>
    /// <returns>The upper-case, colon-separated fingerprint.</returns>
    public static async Task<string> FingerprintAsync(string pemText)
    {
        var result = await Tool.RunAsync("openssl", pemText, "x509", "-noout", "-fingerprint", "-sha256");
        Assert.True(result.ExitCode == 0, $"openssl x509 failed: {result}");
        const string prefix = "sha256 Fingerprint=";
        string line = result.Text.Trim();
        Assert.StartsWith(prefix, line, StringComparison.OrdinalIgnoreCase);
        return line[prefix.Length..];
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp directory; nothing depends on it.
        }
    }
}
