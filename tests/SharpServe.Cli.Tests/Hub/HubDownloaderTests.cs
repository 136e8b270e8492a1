using SharpServe.Cli.Hub;

namespace SharpServe.Cli.Tests.Hub;

/// <summary>The Hugging Face downloader against <see cref="FakeHub"/>, through HF_ENDPOINT-style settings.</summary>
public sealed class HubDownloaderTests : IDisposable
{
    private const string Repo = "someone/small-model";

    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-hub-").FullName;
    private readonly string _repoFolder;
    private readonly string _cache;
    private readonly List<string> _log = [];

    public HubDownloaderTests()
    {
        _repoFolder = Directory.CreateDirectory(Path.Combine(_folder, "repo")).FullName;
        _cache = Path.Combine(_folder, "hf-home", "hub");
        File.WriteAllText(Path.Combine(_repoFolder, "config.json"), """{"architectures": ["Qwen2ForCausalLM"]}""");
        File.WriteAllText(Path.Combine(_repoFolder, "tokenizer.json"), """{"model": {}}""");
        File.WriteAllText(Path.Combine(_repoFolder, "README.md"), "not needed by the engine");
        var weights = new byte[3 << 20];
        new Random(5).NextBytes(weights);
        File.WriteAllBytes(Path.Combine(_repoFolder, "model.safetensors"), weights);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task FirstDownload_FillsTheStandardCacheWithOnlyTheEngineFiles()
    {
        using var hub = new FakeHub(Repo, _repoFolder);

        string snapshot = await EnsureAsync(hub.Endpoint);

        string repoCache = Path.Combine(_cache, "models--someone--small-model");
        Assert.Equal(Path.Combine(repoCache, "snapshots", FakeHub.Commit), snapshot);
        Assert.Equal(FakeHub.Commit, File.ReadAllText(Path.Combine(repoCache, "refs", "main")));
        Assert.Equal(["config.json", "model.safetensors", "tokenizer.json"], Directory.GetFiles(snapshot).Select(Path.GetFileName).Order());
        foreach (string file in (string[])["config.json", "model.safetensors", "tokenizer.json"])
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(_repoFolder, file)), File.ReadAllBytes(Path.Combine(snapshot, file)));
            Assert.NotNull(new FileInfo(Path.Combine(snapshot, file)).LinkTarget);
        }

        string sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(_repoFolder, "model.safetensors"))));
        Assert.True(File.Exists(Path.Combine(repoCache, "blobs", sha256)));
    }

    [Fact]
    public async Task CachedModel_IsUsedWhenTheHubIsGone()
    {
        string endpoint;
        string first;
        using (var hub = new FakeHub(Repo, _repoFolder))
        {
            endpoint = hub.Endpoint;
            first = await EnsureAsync(endpoint);
        }

        string again = await EnsureAsync(endpoint);

        Assert.Equal(first, again);
        Assert.Contains(_log, line => line.Contains("unreachable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CompleteSnapshot_IsNotDownloadedAgain()
    {
        using var hub = new FakeHub(Repo, _repoFolder);
        await EnsureAsync(hub.Endpoint);
        int requests = hub.Requests.Count;

        await EnsureAsync(hub.Endpoint);

        Assert.Equal(requests + 1, hub.Requests.Count); // only the file list
    }

    [Fact]
    public async Task BrokenTransfer_IsResumedWithARangeRequest()
    {
        using var hub = new FakeHub(Repo, _repoFolder) { CutOnce = "model.safetensors" };

        var broken = await Assert.ThrowsAsync<HubException>(() => EnsureAsync(hub.Endpoint));
        Assert.Contains("run again to resume", broken.Message, StringComparison.Ordinal);
        string partial = Assert.Single(Directory.GetFiles(_cache, "*.incomplete", SearchOption.AllDirectories));
        long kept = new FileInfo(partial).Length;
        Assert.True(kept > 0);

        string snapshot = await EnsureAsync(hub.Endpoint);

        Assert.Contains(hub.Requests, r => r.EndsWith($"model.safetensors bytes={kept}-", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_repoFolder, "model.safetensors")), File.ReadAllBytes(Path.Combine(snapshot, "model.safetensors")));
        Assert.Empty(Directory.GetFiles(_cache, "*.incomplete", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task HashMismatch_IsRefusedAndTheDownloadDeleted()
    {
        using var hub = new FakeHub(Repo, _repoFolder) { ReportWrongSha256 = true };

        var error = await Assert.ThrowsAsync<HubException>(() => EnsureAsync(hub.Endpoint));

        Assert.Contains("sha256", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(_cache, "models--someone--small-model", "blobs"), new string('0', 64) + "*"));
    }

    [Fact]
    public async Task MissingToken_IsAClearAccessDenied_AndTheTokenIsSentWhenSet()
    {
        using var hub = new FakeHub(Repo, _repoFolder) { RequiredToken = "hf_secret" };

        var error = await Assert.ThrowsAsync<HubException>(() => EnsureAsync(hub.Endpoint));
        Assert.Contains("HTTP 401", error.Message, StringComparison.Ordinal);
        Assert.Contains("HF_TOKEN", error.Message, StringComparison.Ordinal);

        Assert.True(Directory.Exists(await EnsureAsync(hub.Endpoint, token: "hf_secret")));
    }

    [Fact]
    public async Task UnknownRepository_IsAClearNotFound()
    {
        using var hub = new FakeHub("someone/other", _repoFolder);

        var error = await Assert.ThrowsAsync<HubException>(() => EnsureAsync(hub.Endpoint));

        Assert.Contains($"{Repo}: not found (HTTP 404)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Offline_WithNothingCached_FailsWithOneClearMessage()
    {
        var error = await Assert.ThrowsAsync<HubException>(() => EnsureAsync($"http://127.0.0.1:{ServeProcess.FreePort()}"));

        Assert.Contains("unreachable", error.Message, StringComparison.Ordinal);
        Assert.Contains("not in the cache", error.Message, StringComparison.Ordinal);
    }

    private async Task<string> EnsureAsync(string endpoint, string? token = null)
    {
        using var downloader = new HubDownloader(new HubSettings(new Uri(endpoint + "/"), token, _cache), _log.Add);
        HubRepoId.TryParse(Repo, out HubRepoId repo);
        return await downloader.EnsureAsync(repo);
    }
}
