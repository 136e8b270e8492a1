namespace SharpServe.Cli.Hub;

/// <summary>
/// One repository in the standard hub cache: <c>models--owner--name/blobs/ETAG</c> holds the bytes,
/// <c>snapshots/COMMIT/FILE</c> links to them, <c>refs/main</c> names the commit last resolved, so
/// a cache filled by huggingface_hub is reused and ours is usable by it.
/// </summary>
public sealed class HubCache(string cacheDirectory, HubRepoId repo)
{
    private readonly string _root = Path.Combine(cacheDirectory, repo.CacheFolderName);

    public string BlobPath(string etag) => Path.Combine(_root, "blobs", etag);

    public string SnapshotDirectory(string commit) => Path.Combine(_root, "snapshots", commit);

    /// <summary>The snapshot of the commit <c>refs/main</c> names, if it holds a model's config; null otherwise.</summary>
    public string? CachedMainSnapshot()
    {
        string refFile = MainRefPath;
        if (!File.Exists(refFile))
        {
            return null;
        }

        string snapshot = SnapshotDirectory(File.ReadAllText(refFile).Trim());
        return File.Exists(Path.Combine(snapshot, "config.json")) ? snapshot : null;
    }

    /// <summary>True when every named file of the commit's snapshot is present.</summary>
    public bool HasSnapshot(string commit, IEnumerable<string> files) =>
        files.All(file => File.Exists(Path.Combine(SnapshotDirectory(commit), file)));

    /// <summary>Points <c>snapshots/COMMIT/FILE</c> at the blob with a relative link, as huggingface_hub does.</summary>
    public void LinkSnapshotFile(string commit, string file, string etag)
    {
        string link = Path.Combine(SnapshotDirectory(commit), file);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.Delete(link);
        File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, BlobPath(etag)));
    }

    public void WriteMainRef(string commit)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(MainRefPath)!);
        File.WriteAllText(MainRefPath, commit);
    }

    private string MainRefPath => Path.Combine(_root, "refs", "main");
}
