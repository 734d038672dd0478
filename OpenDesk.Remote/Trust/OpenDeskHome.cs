using System.Security.Cryptography;
using System.Text;
using OpenDesk.Core;

namespace OpenDesk.Remote.Trust;

/// <summary>
/// The OpenDesk home directory (<c>~/.opendesk</c>, or <c>--home</c> / <c>OPENDESK_HOME</c>), mode 0700, and its small
/// files: <c>identity.key</c> (32 raw bytes, 0600), <c>trusted-peers.json</c> (0600, atomic writes),
/// <c>default-peer</c>, <c>description.txt</c>, <c>audit/</c> and <c>admin.sock</c>. Layout and formats match Python
/// opendesk, so both can share one home.
/// </summary>
public sealed class OpenDeskHome
{
    /// <summary>The environment variable that overrides the default home directory.</summary>
    public const string EnvironmentVariable = "OPENDESK_HOME";

    /// <summary>Opens (does not create) the home at <paramref name="path"/>.</summary>
    /// <param name="path">The home directory.</param>
    public OpenDeskHome(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The full path of the home directory.</summary>
    public string Path { get; }

    /// <summary><c>identity.key</c>: this machine's 32-byte X25519 private key.</summary>
    public string IdentityKeyPath => System.IO.Path.Combine(Path, "identity.key");

    /// <summary><c>trusted-peers.json</c>: paired machines.</summary>
    public string TrustedPeersPath => System.IO.Path.Combine(Path, "trusted-peers.json");

    /// <summary><c>default-peer</c>: the persistent default peer name.</summary>
    public string DefaultPeerPath => System.IO.Path.Combine(Path, "default-peer");

    /// <summary><c>description.txt</c>: this machine's self-description, sent in HELLO.</summary>
    public string DescriptionPath => System.IO.Path.Combine(Path, "description.txt");

    /// <summary><c>audit/</c>: one JSONL file per local date.</summary>
    public string AuditDirectory => System.IO.Path.Combine(Path, "audit");

    /// <summary><c>admin.sock</c>: the running server's admin socket.</summary>
    public string AdminSocketPath => System.IO.Path.Combine(Path, "admin.sock");

    /// <summary>
    /// Resolves the home: <paramref name="path"/> when given, else <c>$OPENDESK_HOME</c>, else <c>~/.opendesk</c>.
    /// </summary>
    /// <param name="path">An explicit home directory, or null.</param>
    public static OpenDeskHome Resolve(string? path = null)
    {
        if (!string.IsNullOrWhiteSpace(path))
        {
            return new OpenDeskHome(path);
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return !string.IsNullOrWhiteSpace(fromEnvironment)
            ? new OpenDeskHome(fromEnvironment)
            : new OpenDeskHome(System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".opendesk"));
    }

    /// <summary>Creates the home directory with mode 0700 if it is missing (and tightens it if it is wider).</summary>
    public void EnsureExists() => AtomicFile.EnsurePrivateDirectory(Path);

    /// <summary>
    /// Loads the 32-byte private key from <c>identity.key</c>, creating one (0600, temp file + rename) when missing.
    /// The caller owns the returned array and should clear it after use.
    /// </summary>
    /// <exception cref="InvalidDataException">The file exists but is not 32 bytes.</exception>
    public byte[] LoadOrCreateIdentityKey()
    {
        EnsureExists();
        if (File.Exists(IdentityKeyPath))
        {
            byte[] existing = File.ReadAllBytes(IdentityKeyPath);
            if (existing.Length != 32)
            {
                CryptographicOperations.ZeroMemory(existing);
                throw new InvalidDataException($"{IdentityKeyPath} must hold exactly 32 bytes; move it away to create a new identity.");
            }

            return existing;
        }

        byte[] key = Protocol.ProtocolCrypto.RandomBytes(32); // libsodium: keeps OpenSSL out of serve (docs/benchmarks.md)
        AtomicFile.WriteAllBytes(IdentityKeyPath, key);
        return key;
    }

    /// <summary>True when an identity key exists.</summary>
    public bool HasIdentity => File.Exists(IdentityKeyPath);

    /// <summary>This machine's description (<c>description.txt</c>, trimmed), or an empty string.</summary>
    public string ReadDescription()
    {
        try
        {
            return File.Exists(DescriptionPath) ? File.ReadAllText(DescriptionPath, Encoding.UTF8).Trim() : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Writes (or with null or blank text deletes) <c>description.txt</c>.</summary>
    /// <param name="description">The text, or null to clear it.</param>
    public void WriteDescription(string? description)
    {
        EnsureExists();
        if (string.IsNullOrWhiteSpace(description))
        {
            File.Delete(DescriptionPath);
            return;
        }

        AtomicFile.WriteAllBytes(DescriptionPath, Encoding.UTF8.GetBytes(description.Trim() + "\n"));
    }

    /// <summary>The raw content of <c>default-peer</c> (first line, trimmed), or null; not checked against trust.</summary>
    public string? ReadDefaultPeerName()
    {
        try
        {
            if (!File.Exists(DefaultPeerPath))
            {
                return null;
            }

            string name = File.ReadAllText(DefaultPeerPath, Encoding.UTF8).Split('\n')[0].Trim();
            return name.Length == 0 ? null : name;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Writes (or with null deletes) <c>default-peer</c>; not checked against trust.</summary>
    /// <param name="name">The peer name, or null.</param>
    public void WriteDefaultPeerName(string? name)
    {
        EnsureExists();
        if (string.IsNullOrWhiteSpace(name))
        {
            File.Delete(DefaultPeerPath);
            return;
        }

        AtomicFile.WriteAllBytes(DefaultPeerPath, Encoding.UTF8.GetBytes(name.Trim() + "\n"));
    }

    /// <summary>The fingerprint of a 32-byte public key (<c>7b4e:909b:be7f:fe44</c>).</summary>
    /// <param name="publicKey">The public key.</param>
    public static string FingerprintOf(ReadOnlySpan<byte> publicKey) => PeerFingerprint.Of(publicKey);

    /// <inheritdoc />
    public override string ToString() => Path;
}
