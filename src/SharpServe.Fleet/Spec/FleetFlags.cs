using System.Globalization;

namespace SharpServe.Fleet.Spec;

/// <summary>
/// The values of <c>sharpserve fleet</c>'s flags (null or empty = not given). <see cref="ToSpec"/> makes the
/// <see cref="FleetSpec"/> a file with the same settings would hold, so flags and files share one validator.
/// </summary>
public sealed record FleetFlags
{
    public string? Model { get; init; }

    /// <summary>Null: the length of --memory-fraction or --instance-port when given, else 2.</summary>
    public int? Instances { get; init; }

    public IReadOnlyList<double> MemoryFractions { get; init; } = [];
    public IReadOnlyList<int> InstancePorts { get; init; } = [];
    public IReadOnlyList<string> ServedModelNames { get; init; } = [];
    public double MemoryCeiling { get; init; } = 0.9;
    public string Host { get; init; } = "0.0.0.0";
    public int Port { get; init; } = 8000;
    public string Routing { get; init; } = "least-requests";
    public IReadOnlyList<string> ApiKeys { get; init; } = [];
    public int? RateLimitRpm { get; init; }
    public string? TlsCertificate { get; init; }
    public string? TlsKey { get; init; }
    public EngineSpec Engine { get; init; } = new();
    public string LogDir { get; init; } = "fleet-logs";

    public FleetSpec ToSpec()
    {
        int count = Instances ?? Math.Max(MemoryFractions.Count, InstancePorts.Count) switch { 0 => 2, var given => given };
        EnsureOnePerInstance(MemoryFractions.Count, count, "--memory-fraction");
        EnsureOnePerInstance(InstancePorts.Count, count, "--instance-port");
        IReadOnlyList<string>? names = ServedModelNames.Count > 0 ? ServedModelNames : null;

        // Per-instance values need the list form; otherwise a count, exactly as a file would say it.
        InstancesSpec instances = MemoryFractions.Count > 0 || InstancePorts.Count > 0 || names is not null
            ? new InstancesSpec(null, Enumerable.Range(0, count).Select(i => new InstanceSpec
            {
                MemoryFraction = MemoryFractions.Count > 0 ? MemoryFractions[i] : null,
                Port = InstancePorts.Count > 0 ? InstancePorts[i] : null,
                ServedModelNames = names,
            }).ToList())
            : new InstancesSpec(count, null);

        return new FleetSpec
        {
            Model = Model,
            Engine = Engine,
            Instances = instances,
            MemoryCeiling = MemoryCeiling,
            LogDir = LogDir,
            Gateway = new GatewaySpec
            {
                Listen = Host.Contains(':', StringComparison.Ordinal) ? string.Create(CultureInfo.InvariantCulture, $"[{Host}]:{Port}") : string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}"),
                Routing = Routing,
                ApiKeys = ApiKeys,
                RateLimits = RateLimitRpm is { } rpm ? new RateLimitSpec { RequestsPerMinute = rpm } : null,
                TlsCertificate = TlsCertificate,
                TlsKey = TlsKey,
            },
        };
    }

    private static void EnsureOnePerInstance(int given, int count, string flag)
    {
        if (given > 0 && given != count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{flag} was given {given} time(s) for {count} instance(s): give it once per instance or not at all"));
        }
    }
}
