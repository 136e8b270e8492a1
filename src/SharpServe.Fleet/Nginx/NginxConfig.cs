using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SharpServe.Fleet.Nginx;

/// <summary>
/// nginx configuration for a fleet, as the seed runs it: an <c>upstream</c> of the instances and a
/// <c>server</c> that proxies to them with settings right for SSE. Every setting carries a one-line
/// comment in the output saying why, since whoever edits the file later sees only the file.
/// </summary>
public static partial class NginxConfig
{
    public const string UpstreamName = "sharpserve_fleet";

    /// <summary>Idle keep-alive connections per instance each worker holds, so a request skips the TCP handshake.</summary>
    private const int KeepaliveConnectionsPerInstance = 8;

    /// <summary>The <c>upstream</c> and <c>server</c> blocks, for an <c>http {}</c> block (conf.d style).</summary>
    public static string Fragment(NginxSettings settings)
    {
        Check(settings);
        return "# nginx in front of a SharpServe fleet, written by `sharpserve fleet nginx-config`; include it inside http {}.\n" + Blocks(settings);
    }

    /// <summary>
    /// A complete nginx.conf for <c>nginx -p PREFIX -c PREFIX/nginx.conf</c>: the fragment inside http {},
    /// with the pid file, logs and temp folders under <paramref name="prefix"/> so nothing outside it is written.
    /// </summary>
    public static string Full(NginxSettings settings, string prefix)
    {
        Check(settings);
        CheckPath("prefix", prefix);
        string root = prefix.TrimEnd('/');
        var text = new StringBuilder();
        text.AppendLine("# A complete nginx.conf for a SharpServe fleet, written by `sharpserve fleet nginx-config --full`.");
        text.AppendLine(Invariant($"# Run it with: nginx -p {root} -c {root}/nginx.conf"));
        text.AppendLine(Invariant($"pid {Quote(root + "/nginx.pid")};"));
        text.AppendLine(Invariant($"error_log {Quote(root + "/error.log")} warn;"));
        text.AppendLine("# One worker per core; streams are network waits, so a few workers carry many of them.");
        text.AppendLine("worker_processes auto;");
        text.AppendLine();
        text.AppendLine("events {");
        text.AppendLine("    # Each stream holds two connections (client and instance); this fits the usual 1024 open-file limit.");
        text.AppendLine("    worker_connections 1024;");
        text.AppendLine("}");
        text.AppendLine();
        text.AppendLine("http {");
        text.AppendLine(Invariant($"    access_log {Quote(root + "/access.log")};"));
        text.AppendLine("    # Temp folders under the prefix (nginx creates all five at startup, used or not), so it needs no /var/lib/nginx.");
        foreach (string kind in (string[])["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
        {
            text.AppendLine(Invariant($"    {kind}_temp_path {Quote(root + "/" + kind + "_temp")};"));
        }

        text.AppendLine();
        foreach (string line in Blocks(settings).TrimEnd('\n').Split('\n'))
        {
            text.AppendLine(line.Length == 0 ? "" : "    " + line);
        }

        text.AppendLine("}");
        return text.ToString();
    }

    private static string Blocks(NginxSettings settings)
    {
        var text = new StringBuilder();
        AppendUpstream(text, settings);
        text.AppendLine();
        AppendServer(text, settings);
        return text.ToString();
    }

    private static void AppendUpstream(StringBuilder text, NginxSettings settings)
    {
        text.AppendLine(Invariant($"upstream {UpstreamName} {{"));
        text.AppendLine("    # Fewest open requests first: generations differ in length by orders of magnitude, so round robin would pile them up.");
        text.AppendLine("    least_conn;");
        text.AppendLine("    # Shared memory, so all workers count one set of open requests and failures (else each worker keeps its own).");
        text.AppendLine(Invariant($"    zone {UpstreamName} 64k;"));
        text.AppendLine(Invariant($"    # {settings.MaxFails} connection error(s) within fail_timeout take an instance out for fail_timeout; a crashed one comes back on its port."));
        foreach (string instance in settings.Instances)
        {
            text.AppendLine(Invariant($"    server {instance} max_fails={settings.MaxFails} fail_timeout={settings.FailTimeoutSeconds}s;"));
        }

        text.AppendLine("    # Idle connections each worker keeps to the instances, so a request skips the TCP handshake.");
        text.AppendLine(Invariant($"    keepalive {KeepaliveConnectionsPerInstance * settings.Instances.Count};"));
        text.AppendLine("    # Below the instances' own idle timeout (Kestrel: 130 s), so nginx never reuses a connection an instance is closing.");
        text.AppendLine("    keepalive_timeout 60s;");
        text.AppendLine("}");
    }

    private static void AppendServer(StringBuilder text, NginxSettings settings)
    {
        text.AppendLine("server {");
        if (settings.TlsCertificatePath is { } certificate)
        {
            text.AppendLine(Invariant($"    listen {settings.Listen} ssl;"));
            text.AppendLine(Invariant($"    ssl_certificate {Quote(certificate)};"));
            text.AppendLine(Invariant($"    ssl_certificate_key {Quote(settings.TlsKeyPath ?? certificate)};"));
        }
        else
        {
            text.AppendLine(Invariant($"    listen {settings.Listen};"));
        }

        if (settings.ClientMaxBodySize is { } bodySize)
        {
            text.AppendLine("    # Room for long prompts: 100k tokens of chat JSON is about half a megabyte, near nginx's 1m default.");
            text.AppendLine(Invariant($"    client_max_body_size {bodySize};"));
        }

        text.AppendLine();
        text.AppendLine("    location / {");
        text.AppendLine(Invariant($"        proxy_pass http://{UpstreamName};"));
        text.AppendLine("        # HTTP/1.1 with an empty Connection header: what the upstream keepalive connections need.");
        text.AppendLine("        proxy_http_version 1.1;");
        text.AppendLine("        proxy_set_header Connection \"\";");
        text.AppendLine("        # The client's host, address and scheme, for the instances' logs.");
        text.AppendLine("        proxy_set_header Host $host;");
        text.AppendLine("        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;");
        text.AppendLine("        proxy_set_header X-Forwarded-Proto $scheme;");
        text.AppendLine("        # Each SSE event goes to the client as soon as the instance writes it, not when a buffer fills.");
        text.AppendLine("        proxy_buffering off;");
        text.AppendLine("        proxy_cache off;");
        text.AppendLine("        # Compression would also hold small SSE events back until a block fills.");
        text.AppendLine("        gzip off;");
        text.AppendLine("        # The (small) body is read whole before an instance is picked, so a connection error can still move it to another.");
        text.AppendLine("        proxy_request_buffering on;");
        text.AppendLine("        # A loopback connect succeeds or is refused at once; one that hangs means a stuck host.");
        text.AppendLine("        proxy_connect_timeout 5s;");
        text.AppendLine("        # Longest silence from an instance: a non-streaming reply starts only after its queue wait and whole generation.");
        text.AppendLine(Invariant($"        proxy_read_timeout {settings.ReadTimeoutSeconds}s;"));
        text.AppendLine("        # The body goes out at once; an instance that stops reading it for a minute is stuck.");
        text.AppendLine("        proxy_send_timeout 60s;");
        text.AppendLine("        # Connection errors only: after a timeout or a 5xx the instance may have run the generation, and a POST must not run twice");
        text.AppendLine("        # (nginx never re-sends a POST that reached an instance; `error` covers a refused or reset connect to a dead one).");
        text.AppendLine("        proxy_next_upstream error;");
        text.AppendLine("        # Each instance at most once per request.");
        text.AppendLine(Invariant($"        proxy_next_upstream_tries {settings.Instances.Count};"));
        text.AppendLine("    }");
        text.AppendLine("}");
    }

    /// <summary>Every value lands in the config verbatim, so one with a space, quote, ; or brace would break it (or add directives).</summary>
    private static void Check(NginxSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        CheckAddress("listen address", settings.Listen);
        if (settings.Instances.Count == 0)
        {
            throw new ArgumentException("nginx needs at least one instance address");
        }

        foreach (string instance in settings.Instances)
        {
            CheckAddress("instance address", instance);
        }

        Positive("read timeout", settings.ReadTimeoutSeconds);
        Positive("max_fails", settings.MaxFails);
        Positive("fail_timeout", settings.FailTimeoutSeconds);
        if (settings.TlsCertificatePath is { } certificate)
        {
            CheckPath("TLS certificate path", certificate);
        }

        if (settings.TlsKeyPath is { } key)
        {
            CheckPath("TLS key path", key);
            if (settings.TlsCertificatePath is null)
            {
                throw new ArgumentException("a TLS key needs a TLS certificate (gateway.tls_certificate)");
            }
        }

        if (settings.ClientMaxBodySize is { } size && !BodySize().IsMatch(size))
        {
            throw new ArgumentException($"client_max_body_size '{size}' is not an nginx size such as 16m, 512k or 1g");
        }
    }

    private static void CheckAddress(string what, string address)
    {
        if (!Address().IsMatch(address))
        {
            throw new ArgumentException($"{what} '{address}' is not host:port");
        }
    }

    private static void CheckPath(string what, string path)
    {
        if (path.Length == 0 || path.IndexOfAny(['"', '\\', '\n', '\r', '$']) >= 0)
        {
            throw new ArgumentException($"{what} '{path}' is empty or holds a quote, backslash, $ or line break, which nginx would misread");
        }
    }

    private static void Positive(string what, int value)
    {
        if (value <= 0)
        {
            throw new ArgumentException(Invariant($"{what} must be positive, got {value}"));
        }
    }

    /// <summary>Quoted, so a path with spaces stays one argument.</summary>
    private static string Quote(string path) => "\"" + path + "\"";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>host:port, [v6]:port or *:port; nothing nginx would read as syntax.</summary>
    [GeneratedRegex(@"^([A-Za-z0-9.\-*]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$")]
    private static partial Regex Address();

    [GeneratedRegex("^[0-9]+[kKmMgG]?$")]
    private static partial Regex BodySize();
}
