using System.Net.Http.Headers;

namespace SharpServe.Cli.Hub;

/// <summary>
/// What the hub says about one file in the headers of its resolve URL: the commit, the ETag (for LFS
/// files <c>X-Linked-Etag</c>, the content's sha256, since the plain ETag belongs to the redirect) and the size.
/// </summary>
public sealed record HubFileMetadata(string Commit, string ETag, long Size)
{
    /// <summary>LFS files are named by their sha256, which the download is checked against; git files by a sha1 we do not recompute.</summary>
    public bool IsSha256 => ETag.Length == 64 && ETag.All(char.IsAsciiHexDigitLower);

    public static HubFileMetadata FromHeaders(HttpResponseMessage response, string file)
    {
        string? commit = Header(response.Headers, "X-Repo-Commit");
        string? etag = Header(response.Headers, "X-Linked-Etag") ?? response.Headers.ETag?.Tag;
        string? size = Header(response.Headers, "X-Linked-Size") ?? response.Content.Headers.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (commit is null || etag is null || !long.TryParse(size, System.Globalization.CultureInfo.InvariantCulture, out long bytes))
        {
            throw new HubException($"{file}: the hub's answer lacks X-Repo-Commit, ETag or a size; is HF_ENDPOINT a Hugging Face hub or mirror?");
        }

        return new HubFileMetadata(commit, NormalizeETag(etag), bytes);
    }

    /// <summary>ETags come quoted and sometimes weak (<c>W/"..."</c>); the cache names blobs by the bare value.</summary>
    private static string NormalizeETag(string etag)
    {
        string bare = etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag;
        return bare.Trim('"');
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
