using System.CommandLine;
using SharpServe.Engine.Memory;
using SharpServe.Fleet.Nginx;
using SharpServe.Fleet.Spec;

namespace SharpServe.Cli.Commands;

/// <summary>
/// <c>sharpserve fleet nginx-config SPEC</c>: nginx's upstream/server configuration for the spec's instances, so
/// nginx can stand in front of them as the gateway (issue 6). A conf.d fragment by default; <c>--full</c> writes a
/// complete nginx.conf whose pid, logs and temp files stay under <c>--prefix</c>.
/// </summary>
internal static class FleetNginxConfigCommand
{
    public static Command Build()
    {
        var spec = new Argument<string>("SPEC") { Description = "Fleet spec file (JSON)" };
        var output = new Option<string?>("--out") { Description = "File to write (default: stdout; with --full, PREFIX/nginx.conf)" };
        var full = new Option<bool>("--full") { Description = "A complete nginx.conf for `nginx -p PREFIX -c PREFIX/nginx.conf` instead of a fragment for http {}" };
        var prefix = new Option<string?>("--prefix") { Description = "With --full: folder for nginx's pid file, logs and temp files (created if missing)" };
        var readTimeout = new Option<int>("--read-timeout")
        {
            Description = "Seconds nginx waits for the next bytes from an instance; must exceed the longest queue wait plus generation",
            DefaultValueFactory = _ => NginxSettings.DefaultReadTimeoutSeconds,
        };
        var maxFails = new Option<int>("--max-fails") { Description = "Connection errors within --fail-timeout that take an instance out of rotation", DefaultValueFactory = _ => 1 };
        var failTimeout = new Option<int>("--fail-timeout") { Description = "Seconds those errors count, and how long the instance stays out", DefaultValueFactory = _ => 10 };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key for gateway.tls_certificate (default: gateway.tls_key, else the certificate file, holding both)" };
        var bodySize = new Option<string>("--client-max-body-size") { Description = "Largest request body nginx accepts (nginx size)", DefaultValueFactory = _ => "16m" };
        var deviceMemory = FleetCommand.DeviceMemoryOption(required: false);
        var command = new Command("nginx-config", "Write nginx's configuration for a fleet's instances (SSE-safe proxying, failover on connection errors)")
        {
            spec, output, full, prefix, readTimeout, maxFails, failTimeout, tlsKey, bodySize, deviceMemory,
        };
        command.SetAction(parse => CommonOptions.Run(() =>
        {
            bool isFull = parse.GetValue(full);
            string? prefixPath = parse.GetValue(prefix);
            if (isFull != prefixPath is not null)
            {
                throw new ArgumentException("--full and --prefix go together: a complete nginx.conf needs a folder for its pid file, logs and temp files");
            }

            // Fleets are usually configured on the machine that runs them, so its memory is the default device.
            long device = parse.GetValue(deviceMemory) is null ? DeviceMemory.DetectHost().TotalBytes : FleetCommand.ReadDeviceMemory(parse, deviceMemory);
            string specPath = parse.GetValue(spec)!;
            FleetSpec fleet = FleetSpecReader.Read(specPath);
            FleetValidation validation = FleetSpecCheck.Validate(fleet, specPath, device);
            if (!FleetSpecCheck.Report(validation))
            {
                return 1;
            }

            WarnAboutUnsupported(fleet.Gateway);
            string? certificate = FleetSpecCheck.BesideSpec(fleet.Gateway.TlsCertificate, specPath);
            var settings = new NginxSettings(
                fleet.Gateway.Listen,
                [.. validation.Instances.Select(instance => $"127.0.0.1:{instance.Port}")],
                parse.GetValue(readTimeout),
                parse.GetValue(maxFails),
                parse.GetValue(failTimeout),
                certificate,
                certificate is null ? null : parse.GetValue(tlsKey) is { } key ? Path.GetFullPath(key) : FleetSpecCheck.BesideSpec(fleet.Gateway.TlsKey, specPath) ?? certificate,
                parse.GetValue(bodySize));

            string? root = prefixPath is null ? null : Path.GetFullPath(prefixPath);
            string text = root is null ? NginxConfig.Fragment(settings) : NginxConfig.Full(settings, root);
            string? target = parse.GetValue(output) ?? (root is null ? null : Path.Combine(root, "nginx.conf"));
            if (target is null)
            {
                Console.Out.Write(text);
                return 0;
            }

            if (root is not null)
            {
                Directory.CreateDirectory(root);
            }

            File.WriteAllText(target, text);
            Console.Error.WriteLine($"wrote {target}");
            if (root is not null)
            {
                Console.Error.WriteLine($"run it with: nginx -p {root} -c {Path.GetFullPath(target)} -g 'daemon off;'");
            }

            return 0;
        }));
        return command;
    }

    /// <summary>nginx stands in for the gateway, but only for routing and failover; say what of the gateway's spec it leaves out.</summary>
    private static void WarnAboutUnsupported(GatewaySpec gateway)
    {
        if (gateway.ApiKeys.Count > 0 || gateway.RateLimits is not null)
        {
            Console.Error.WriteLine("warning: nginx does not check gateway.api_keys or gateway.rate_limits; start each instance with --api-key to keep keys");
        }

        if (gateway.Routing != "least-requests")
        {
            Console.Error.WriteLine($"warning: nginx routes by least_conn (least-requests), not gateway.routing '{gateway.Routing}'");
        }
    }

    /// <summary>A relative path in the spec means the spec's folder; nginx would read it relative to its own prefix instead.</summary>
}
