using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace SharpServe.Cli.Hub;

/// <summary>
/// Fetches the engine's files of a hub repository into the standard hub cache and returns the snapshot
/// directory. The repository's commit comes from the hub's API; a snapshot already complete for it is
/// used as is, and with no network the last resolved snapshot is used, so a filled cache needs no network.
/// </summary>
public sealed class HubDownloader : IDisposable
{
    private readonly HubSettings _settings;
    private readonly Action<string> _log;

    // Metadata requests must not follow redirects: for LFS files the hub's own answer (a redirect to
    // its CDN) carries X-Linked-Etag and X-Linked-Size, which the CDN's answer does not.
    private readonly HttpClient _metadataClient = new(new HttpClientHandler { AllowAutoRedirect = false });
    private readonly HttpClient _fileClient = new();

    public HubDownloader(HubSettings settings, Action<string> log)
    {
        _settings = settings;
        _log = log;
        foreach (HttpClient client in (HttpClient[])[_metadataClient, _fileClient])
        {
            client.Timeout = Timeout.InfiniteTimeSpan;
            client.DefaultRequestHeaders.UserAgent.ParseAdd("sharpserve/1.0");
            if (settings.Token is { } token)
            {
                // HttpClient drops this header when a redirect leaves the hub's host, so the CDN never sees the token.
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
        }
    }

    public async Task<string> EnsureAsync(HubRepoId repo, CancellationToken cancel = default)
    {
        var cache = new HubCache(_settings.CacheDirectory, repo);
        RepoInfo info;
        try
        {
            info = await FetchRepoInfoAsync(repo, cancel);
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            return cache.CachedMainSnapshot() is { } cached
                ? Logged(cached, $"{_settings.Endpoint} is unreachable; using the cached snapshot {cached}")
                : throw new HubException(
                    $"cannot download {repo}: {_settings.Endpoint} is unreachable ({e.Message}) and the model is not in the cache " +
                    $"{_settings.CacheDirectory}; connect to the network, set HF_ENDPOINT to a reachable mirror, or pass a local model directory");
        }

        List<string> files = [.. info.Siblings.Select(s => s.RFilename).Where(ModelFileSelection.IsNeeded)];
        if (!files.Contains("config.json"))
        {
            throw new HubException($"{repo} has no config.json at its top level; it is not a Transformers model repository");
        }

        if (!cache.HasSnapshot(info.Sha, files))
        {
            _log($"Downloading {files.Count} files of {repo} (commit {info.Sha}) from {_settings.Endpoint} into {_settings.CacheDirectory}");
            foreach (string file in files)
            {
                await DownloadFileAsync(repo, info.Sha, file, cache, cancel);
            }
        }

        cache.WriteMainRef(info.Sha);
        return cache.SnapshotDirectory(info.Sha);
    }

    public void Dispose()
    {
        _metadataClient.Dispose();
        _fileClient.Dispose();
    }

    private async Task<RepoInfo> FetchRepoInfoAsync(HubRepoId repo, CancellationToken cancel)
    {
        using var response = await _metadataClient.GetAsync(new Uri(_settings.Endpoint, $"api/models/{repo}/revision/main"), cancel);
        HubErrors.ThrowUnlessSuccess(response, repo, "its file list");
        return await response.Content.ReadFromJsonAsync<RepoInfo>(cancel)
            ?? throw new HubException($"{repo}: the hub's file list is empty");
    }

    private async Task DownloadFileAsync(HubRepoId repo, string commit, string file, HubCache cache, CancellationToken cancel)
    {
        var url = new Uri(_settings.Endpoint, $"{repo}/resolve/{commit}/{file}");
        HubFileMetadata metadata;
        using (var head = await _metadataClient.SendAsync(new HttpRequestMessage(HttpMethod.Head, url), cancel))
        {
            HubErrors.ThrowUnlessSuccess(head, repo, file);
            metadata = HubFileMetadata.FromHeaders(head, file);
        }

        string blob = cache.BlobPath(metadata.ETag);
        if (!File.Exists(blob) || new FileInfo(blob).Length != metadata.Size)
        {
            await new BlobDownload(_fileClient, repo, file, metadata).RunAsync(url, blob, cancel);
        }

        cache.LinkSnapshotFile(commit, file, metadata.ETag);
    }

    private string Logged(string path, string message)
    {
        _log(message);
        return path;
    }

    private sealed record RepoInfo(
        [property: JsonPropertyName("sha")] string Sha,
        [property: JsonPropertyName("siblings")] IReadOnlyList<Sibling> Siblings);

    private sealed record Sibling([property: JsonPropertyName("rfilename")] string RFilename);
}
