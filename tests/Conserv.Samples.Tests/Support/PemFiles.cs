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

    /// <summary>
    /// Makes a root CA (<c>root.pem</c>), an intermediate CA signed by it, and a server certificate for localhost
    /// signed by the intermediate, with the server's key in <c>leaf.key</c>: <c>leaf.pem</c> holds the server
    /// certificate alone, <c>fullchain.pem</c> the server certificate followed by the intermediate.
    /// </summary>
    /// <returns>A task that completes once the files exist.</returns>
    public async Task MakeChainAsync()
    {
        string[] newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        string P(string name) => Path.Combine(Directory, name);
        File.WriteAllText(P("ca.ext"), "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign\n");
        File.WriteAllText(P("leaf.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        await OpensslAsync(["req", "-x509", .. newKey, "-keyout", P("root.key"), "-out", P("root.pem"), "-days", "1", "-subj", "/CN=test root",
            "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign"]);
        await OpensslAsync(["req", .. newKey, "-keyout", P("int.key"), "-out", P("int.csr"), "-subj", "/CN=test intermediate"]);
        await OpensslAsync(["x509", "-req", "-in", P("int.csr"), "-CA", P("root.pem"), "-CAkey", P("root.key"), "-CAcreateserial",
            "-out", P("int.pem"), "-days", "1", "-extfile", P("ca.ext")]);
        await OpensslAsync(["req", .. newKey, "-keyout", P("leaf.key"), "-out", P("leaf.csr"), "-subj", "/CN=localhost"]);
        await OpensslAsync(["x509", "-req", "-in", P("leaf.csr"), "-CA", P("int.pem"), "-CAkey", P("int.key"), "-CAcreateserial",
            "-out", P("leaf.pem"), "-days", "1", "-extfile", P("leaf.ext")]);
        File.WriteAllText(P("fullchain.pem"), File.ReadAllText(P("leaf.pem")) + File.ReadAllText(P("int.pem")));

        static async Task OpensslAsync(string[] args)
        {
            var result = await Tool.RunAsync("openssl", args);
            Assert.True(result.ExitCode == 0, $"openssl {string.Join(' ', args)} failed: {result}");
        }
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
