using System.CommandLine;
using System.Globalization;
using SharpServe.Fleet;
using SharpServe.Fleet.Gateway;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve gateway</c>: the fleet gateway alone, in front of instances given by URL (on this machine or others).</summary>
internal static class GatewayCommand
{
    public static Command Build()
    {
        var upstreams = new Option<string[]>("--upstream")
        {
            Description = "An instance's URL, optionally with its model names: http://host:8000 or http://host:8000=name1,name2 (repeat for each)",
            Required = true,
        };
        var flags = new GatewayFlags();
        var healthInterval = new Option<double>("--health-interval") { Description = "Seconds between health probes of each instance", DefaultValueFactory = _ => 1 };
        var upstreamApiKey = new Option<string?>("--upstream-api-key") { Description = "Key sent to the instances when they require one (--api-key of sharpserve serve)" };
        var command = new Command("gateway", "Route OpenAI-compatible requests over several instances (health checks, retries, API keys)")
        {
            upstreams, healthInterval, upstreamApiKey,
        };
        foreach (Option option in flags.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CommonOptions.Run(() =>
        {
            double interval = parse.GetValue(healthInterval);
            if (interval is not (> 0 and <= 3600))
            {
                throw new ArgumentException($"--health-interval must be in (0, 3600] seconds, got {interval}");
            }

            if (parse.GetValue(flags.RateLimitRpm) is <= 0)
            {
                throw new ArgumentException("--rate-limit-rpm must be positive");
            }

            if (parse.GetValue(flags.TlsKey) is not null && parse.GetValue(flags.TlsCertificate) is null)
            {
                throw new ArgumentException("--tls-key needs --tls-certificate");
            }

            var options = new GatewayOptions
            {
                Host = parse.GetValue(flags.Host)!,
                Port = parse.GetValue(flags.Port),
                Routing = parse.GetValue(flags.Routing)!,
                ApiKeys = parse.GetValue(flags.ApiKeys) ?? [],
                RateLimitPerMinute = parse.GetValue(flags.RateLimitRpm),
                TlsCertificatePath = parse.GetValue(flags.TlsCertificate),
                TlsKeyPath = parse.GetValue(flags.TlsKey),
                HealthInterval = TimeSpan.FromSeconds(interval),
                UpstreamApiKey = parse.GetValue(upstreamApiKey),
            };
            IReadOnlyList<Upstream> list = [.. parse.GetValue(upstreams)!.Select(UpstreamArgument.Parse)];
            RunAsync(options, list).GetAwaiter().GetResult();
            return 0;
        }));
        return command;
    }

    private static async Task RunAsync(GatewayOptions options, IReadOnlyList<Upstream> upstreams)
    {
        static void Log(string line) => Console.WriteLine($"{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {line}");

        await using var gateway = await GatewayHost.StartAsync(options, upstreams, processes: null, log: Log);
        Log($"Routing {options.Routing} over {string.Join(", ", upstreams.Select(u => u.Address))}" +
            (options.ApiKeys.Count > 0 ? "; an API key is required" : ""));
        Log($"Application startup complete. Listening on {gateway.Url} (status: {new Uri(gateway.Url, "/fleet/status")})");
        await gateway.WaitForShutdownAsync();
        Log("Shut down");
    }
}
