using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SharpServe.Fleet.Nginx;

namespace SharpServe.Fleet.Tests.Nginx;

/// <summary><see cref="NginxConfig"/>: the SSE and failover settings are in the text, and the real nginx accepts it.</summary>
public sealed class NginxConfigTests : IDisposable
{
    private static readonly NginxSettings TwoInstances = new("127.0.0.1:9000", ["127.0.0.1:9001", "127.0.0.1:9002"], ReadTimeoutSeconds: 1234, MaxFails: 3, FailTimeoutSeconds: 7);

    private readonly string _prefix = Directory.CreateTempSubdirectory("sharpserve-nginx-").FullName;

    public void Dispose() => Directory.Delete(_prefix, recursive: true);

    [Fact]
    public void Fragment_ListsEachInstanceWithItsFailureSettings_InOneLeastConnUpstream()
    {
        string[] lines = Lines(NginxConfig.Fragment(TwoInstances));

        Assert.Contains("upstream sharpserve_fleet {", lines);
        Assert.Contains("least_conn;", lines);
        Assert.Contains("zone sharpserve_fleet 64k;", lines);
        Assert.Contains("server 127.0.0.1:9001 max_fails=3 fail_timeout=7s;", lines);
        Assert.Contains("server 127.0.0.1:9002 max_fails=3 fail_timeout=7s;", lines);
        Assert.Contains("keepalive 16;", lines);
        Assert.Contains("proxy_pass http://sharpserve_fleet;", lines);
    }

    [Fact]
    public void Fragment_StreamsUnbuffered_WithTheReadTimeout_OverKeepaliveHttp11()
    {
        string[] lines = Lines(NginxConfig.Fragment(TwoInstances));

        Assert.Contains("listen 127.0.0.1:9000;", lines);
        Assert.Contains("proxy_buffering off;", lines);
        Assert.Contains("proxy_cache off;", lines);
        Assert.Contains("gzip off;", lines);
        Assert.Contains("proxy_read_timeout 1234s;", lines);
        Assert.Contains("proxy_http_version 1.1;", lines);
        Assert.Contains("proxy_set_header Connection \"\";", lines);
        Assert.DoesNotContain(lines, line => line.StartsWith("client_max_body_size", StringComparison.Ordinal));
    }

    [Fact]
    public void Fragment_MovesOnlyConnectionErrors_ToTheNextInstance_EachAtMostOnce()
    {
        string[] lines = Lines(NginxConfig.Fragment(TwoInstances));

        // A timeout or 5xx may come from an instance that ran the generation; retrying it would run the POST twice.
        Assert.Equal(["proxy_next_upstream error;", "proxy_next_upstream_tries 2;"], lines.Where(line => line.StartsWith("proxy_next_upstream", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, line => !line.StartsWith('#') && (line.Contains("non_idempotent", StringComparison.Ordinal) || line.Contains("http_5", StringComparison.Ordinal)));
    }

    [Fact]
    public void Fragment_WithTls_ListensSslWithTheCertificateAndKey()
    {
        string[] lines = Lines(NginxConfig.Fragment(TwoInstances with { TlsCertificatePath = "/etc/fleet/cert.pem", TlsKeyPath = "/etc/fleet/key.pem", ClientMaxBodySize = "32m" }));

        Assert.Contains("listen 127.0.0.1:9000 ssl;", lines);
        Assert.Contains("ssl_certificate \"/etc/fleet/cert.pem\";", lines);
        Assert.Contains("ssl_certificate_key \"/etc/fleet/key.pem\";", lines);
        Assert.Contains("client_max_body_size 32m;", lines);
    }

    [Fact]
    public void Full_IsAcceptedByTheRealNginx()
    {
        File.WriteAllText(Path.Combine(_prefix, "nginx.conf"), NginxConfig.Full(TwoInstances with { ClientMaxBodySize = "16m" }, _prefix));

        var (exitCode, output) = NginxBinary.Run("-t", "-p", _prefix, "-c", Path.Combine(_prefix, "nginx.conf"), "-e", "stderr");

        Assert.True(exitCode == 0, output);
        Assert.Contains("test is successful", output, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(_prefix, "proxy_temp")), "nginx's temp folders belong under the prefix");
    }

    [Fact]
    public void Full_WithTls_IsAcceptedByTheRealNginx_WhichLoadsTheCertificate()
    {
        string certificate = Path.Combine(_prefix, "cert.pem");
        string key = Path.Combine(_prefix, "key.pem");
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using X509Certificate2 selfSigned = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            File.WriteAllText(certificate, selfSigned.ExportCertificatePem());
            File.WriteAllText(key, rsa.ExportPkcs8PrivateKeyPem());
        }

        File.WriteAllText(Path.Combine(_prefix, "nginx.conf"), NginxConfig.Full(TwoInstances with { TlsCertificatePath = certificate, TlsKeyPath = key }, _prefix));

        var (exitCode, output) = NginxBinary.Run("-t", "-p", _prefix, "-c", Path.Combine(_prefix, "nginx.conf"), "-e", "stderr");

        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public void Full_WithAMissingCertificate_IsRejectedByTheRealNginx()
    {
        File.WriteAllText(Path.Combine(_prefix, "nginx.conf"), NginxConfig.Full(TwoInstances with { TlsCertificatePath = Path.Combine(_prefix, "missing.pem") }, _prefix));

        var (exitCode, output) = NginxBinary.Run("-t", "-p", _prefix, "-c", Path.Combine(_prefix, "nginx.conf"), "-e", "stderr");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("missing.pem", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:9000; include /etc/passwd", "listen address '127.0.0.1:9000; include /etc/passwd' is not host:port")]
    [InlineData("127.0.0.1", "listen address '127.0.0.1' is not host:port")]
    public void BadListenAddress_IsAClearError(string listen, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => NginxConfig.Fragment(TwoInstances with { Listen = listen }));
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void BadSettings_AreClearErrors()
    {
        Assert.Equal("nginx needs at least one instance address", Assert.Throws<ArgumentException>(() => NginxConfig.Fragment(TwoInstances with { Instances = [] })).Message);
        Assert.Equal("read timeout must be positive, got 0", Assert.Throws<ArgumentException>(() => NginxConfig.Fragment(TwoInstances with { ReadTimeoutSeconds = 0 })).Message);
        Assert.Equal(
            "client_max_body_size 'lots' is not an nginx size such as 16m, 512k or 1g",
            Assert.Throws<ArgumentException>(() => NginxConfig.Fragment(TwoInstances with { ClientMaxBodySize = "lots" })).Message);
        Assert.StartsWith("prefix '/tmp/a\"b' is empty or holds a quote", Assert.Throws<ArgumentException>(() => NginxConfig.Full(TwoInstances, "/tmp/a\"b")).Message, StringComparison.Ordinal);
    }

    private static string[] Lines(string config) => config.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
