using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace SharpServe.Cli.Hub;

/// <summary>
/// One file's bytes into <c>blobs/ETAG</c>: written to <c>ETAG.incomplete</c>, resumed from its length with
/// an HTTP Range request, and moved into place only once its size (and, for LFS files, sha256) is what the hub said.
/// </summary>
internal sealed class BlobDownload(HttpClient client, HubRepoId repo, string file, HubFileMetadata metadata)
{
    private const int BufferSize = 1 << 20;

    public async Task RunAsync(Uri url, string blob, CancellationToken cancel)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        string partial = blob + ".incomplete";
        long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (have > metadata.Size)
        {
            have = 0;
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        HubErrors.ThrowUnlessSuccess(response, repo, file);
        if (response.StatusCode != HttpStatusCode.PartialContent)
        {
            have = 0; // the server ignored the range and sends the whole file
        }

        await using (var output = new FileStream(partial, have > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, BufferSize))
        {
            await CopyAsync(response, output, have, cancel);
        }

        Verify(partial);
        File.Move(partial, blob, overwrite: true);
    }

    private async Task CopyAsync(HttpResponseMessage response, FileStream output, long have, CancellationToken cancel)
    {
        var progress = new DownloadProgress(file, metadata.Size);
        byte[] buffer = new byte[BufferSize];
        try
        {
            await using Stream input = await response.Content.ReadAsStreamAsync(cancel);
            int read;
            while ((read = await input.ReadAsync(buffer, cancel)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, read), cancel);
                have += read;
                progress.Report(have);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new HubException($"{repo}: the download of {file} broke off after {have} of {metadata.Size} bytes ({e.Message}); run again to resume it");
        }

        progress.Complete();
    }

    private void Verify(string partial)
    {
        long size = new FileInfo(partial).Length;
        if (size != metadata.Size)
        {
            throw new HubException($"{repo}: {file} has {size} bytes, the hub reported {metadata.Size}; run again to resume it");
        }

        if (metadata.IsSha256)
        {
            string actual = Sha256Of(partial);
            if (actual != metadata.ETag)
            {
                File.Delete(partial);
                throw new HubException($"{repo}: {file} has sha256 {actual}, the hub reported {metadata.ETag}; the corrupt download was deleted");
            }
        }
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
