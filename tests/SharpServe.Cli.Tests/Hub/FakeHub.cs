using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;

namespace SharpServe.Cli.Tests.Hub;

/// <summary>
/// A Hugging Face hub on 127.0.0.1 serving one repository from a folder as the hub does: the file list at
/// <c>/api/models/REPO/revision/main</c>, files at <c>/REPO/resolve/REV/FILE</c> with X-Repo-Commit, ETag
/// (a sha1 for git files), X-Linked-Etag/X-Linked-Size (the sha256 and size of .safetensors, the hub's LFS files)
/// and HTTP Range. Faults are switched on by the tests.
/// </summary>
public sealed class FakeHub : LoopbackHttpServer
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";

    private readonly string _repo;
    private readonly string _folder;

    public FakeHub(string repo, string folder)
    {
        _repo = repo;
        _folder = folder;
        Start();
    }

    public string Endpoint => Url;

    /// <summary>When set, every request without <c>Authorization: Bearer TOKEN</c> gets 401.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>When set, the next body of this file is cut off (the connection dropped) after half its bytes.</summary>
    public string? CutOnce { get; set; }

    /// <summary>When set, the sha256 reported for LFS files is wrong.</summary>
    public bool ReportWrongSha256 { get; set; }

    public List<string> Requests { get; } = [];

    protected override Task HandleAsync(HttpListenerContext context)
    {
        Answer(context);
        return Task.CompletedTask;
    }

    private void Answer(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        string path = Uri.UnescapeDataString(request.Url!.AbsolutePath);
        lock (Requests)
        {
            Requests.Add($"{request.HttpMethod} {path} {request.Headers["Range"]}".TrimEnd());
        }

        if (RequiredToken is { } token && request.Headers["Authorization"] != $"Bearer {token}")
        {
            Close(response, 401);
        }
        else if (path == $"/api/models/{_repo}/revision/main")
        {
            WriteFileList(response);
        }
        else if (path.StartsWith($"/{_repo}/resolve/", StringComparison.Ordinal)
            && path.Split('/', 6) is [_, _, _, _, _, string file] && File.Exists(Path.Combine(_folder, file)))
        {
            WriteFile(request, response, file);
        }
        else
        {
            Close(response, 404);
        }
    }

    private void WriteFileList(HttpListenerResponse response)
    {
        var siblings = Directory.GetFiles(_folder).Select(f => new { rfilename = Path.GetFileName(f) });
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new { id = _repo, sha = Commit, siblings });
        response.ContentType = "application/json";
        response.ContentLength64 = body.Length;
        response.OutputStream.Write(body);
        response.Close();
    }

    private void WriteFile(HttpListenerRequest request, HttpListenerResponse response, string file)
    {
        byte[] content = File.ReadAllBytes(Path.Combine(_folder, file));
        response.Headers["X-Repo-Commit"] = Commit;
        if (file.EndsWith(".safetensors", StringComparison.Ordinal))
        {
            string sha256 = ReportWrongSha256 ? new string('0', 64) : Convert.ToHexStringLower(SHA256.HashData(content));
            response.Headers["X-Linked-Etag"] = $"\"{sha256}\"";
            response.Headers["X-Linked-Size"] = content.Length.ToString(CultureInfo.InvariantCulture);
        }

        response.Headers["ETag"] = $"\"{Convert.ToHexStringLower(SHA1.HashData(content))}\"";
        long start = request.Headers["Range"] is { } range && range.StartsWith("bytes=", StringComparison.Ordinal)
            ? long.Parse(range["bytes=".Length..].TrimEnd('-'), CultureInfo.InvariantCulture)
            : 0;
        if (start > 0)
        {
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }

        response.ContentLength64 = content.Length - start;
        if (request.HttpMethod == "HEAD")
        {
            response.Close();
            return;
        }

        if (CutOnce == file)
        {
            CutOnce = null;
            response.OutputStream.Write(content, (int)start, (content.Length - (int)start) / 2);
            response.OutputStream.Flush();
            response.Abort();
            return;
        }

        response.OutputStream.Write(content, (int)start, content.Length - (int)start);
        response.Close();
    }

    private static void Close(HttpListenerResponse response, int status)
    {
        response.StatusCode = status;
        response.Close();
    }
}
