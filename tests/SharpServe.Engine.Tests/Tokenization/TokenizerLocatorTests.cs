using SharpServe.Engine.Tests.TestSupport;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Tests.Tokenization;

public sealed class TokenizerLocatorTests
{
    private static string NoFetch(string workDirectory) => throw new InvalidOperationException("the test fetcher must not be called");

    [Fact]
    public void ExplicitPathWinsWithoutTouchingTheCache()
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "mine.json");
        File.WriteAllText(file, "{}");
        string cache = Path.Combine(dir.Path, "cache");

        Assert.Equal(file, new TokenizerLocator(cache, NoFetch).Find(file));
        Assert.False(Directory.Exists(cache));
    }

    [Fact]
    public void MissingExplicitPathIsAnError()
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "missing.json");

        var error = Assert.Throws<ModelFormatException>(() => new TokenizerLocator(dir.Path, NoFetch).Find(file));
        Assert.Equal(file, error.FilePath);
    }

    [Fact]
    public void VerifiedCacheCopyIsUsed()
    {
        using var dir = new TempDirectory();
        var locator = new TokenizerLocator(dir.Path, NoFetch);
        File.Copy(RepoPaths.SharedTokenizerJson, locator.CachePath);

        Assert.Equal(locator.CachePath, locator.Find(null));
    }

    [Fact]
    public void CorruptCacheCopyIsAnError()
    {
        using var dir = new TempDirectory();
        var locator = new TokenizerLocator(dir.Path, NoFetch);
        File.WriteAllText(locator.CachePath, "{}");

        var error = Assert.Throws<ModelFormatException>(() => locator.Find(null));
        Assert.Equal(locator.CachePath, error.FilePath);
        Assert.Contains("sha256", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void FetchedFileIsVerifiedAndCached()
    {
        using var dir = new TempDirectory();
        string cache = Path.Combine(dir.Path, "cache");
        int calls = 0;
        var locator = new TokenizerLocator(cache, work =>
        {
            calls++;
            string fetched = Path.Combine(work, "tokenizer.json");
            File.Copy(RepoPaths.SharedTokenizerJson, fetched);
            return fetched;
        });

        Assert.Equal(locator.CachePath, locator.Find(null));
        Assert.Equal(locator.CachePath, locator.Find(null));
        Assert.Equal(1, calls);
        Assert.Equal(new FileInfo(RepoPaths.SharedTokenizerJson).Length, new FileInfo(locator.CachePath).Length);
        Assert.Single(Directory.GetFiles(cache));
    }

    [Fact]
    public void FetchedFileWithWrongHashIsNotCached()
    {
        using var dir = new TempDirectory();
        var locator = new TokenizerLocator(dir.Path, work =>
        {
            string fetched = Path.Combine(work, "tokenizer.json");
            File.WriteAllText(fetched, "{}");
            return fetched;
        });

        var error = Assert.Throws<ModelFormatException>(() => locator.Find(null));
        Assert.Contains("sha256", error.Problem, StringComparison.Ordinal);
        Assert.False(File.Exists(locator.CachePath));
    }

    [Fact]
    public void FailedFetchExplainsHowToSupplyATokenizer()
    {
        using var dir = new TempDirectory();
        var locator = new TokenizerLocator(dir.Path, _ => throw new InvalidOperationException("npm: command not found"));

        var error = Assert.Throws<ModelFormatException>(() => locator.Find(null));
        Assert.Contains("--tokenizer FILE", error.Problem, StringComparison.Ordinal);
        Assert.Contains("shared/models/qwen2-tokenizer/qwen3-tokenizer.json", error.Problem, StringComparison.Ordinal);
        Assert.Contains("npm: command not found", error.Problem, StringComparison.Ordinal);
        Assert.False(File.Exists(locator.CachePath));
    }
}
