namespace SharpServe.Fleet.Gateway.History;

/// <summary>One sampling instant of the fleet, as /fleet/history serves it.</summary>
/// <param name="UnixMilliseconds">When it was taken.</param>
/// <param name="Fleet">Totals over the instances (sums; latency over all requests).</param>
public sealed record FleetSample(long UnixMilliseconds, InstanceSample Fleet, IReadOnlyList<InstanceSample> Instances);

/// <summary>One instance (or the fleet's totals) at a sampling instant; null where it could not be read.</summary>
/// <param name="Healthy">Routable by the gateway at that instant.</param>
/// <param name="TokensPerSecond">Generated tokens per second since the previous sample, from the instance's counter.</param>
/// <param name="Requests">Requests completed through the gateway since the previous sample.</param>
/// <param name="LatencyP50Ms">Median gateway-measured latency of those requests.</param>
public sealed record InstanceSample(
    string Id,
    bool Healthy,
    int InFlight,
    double? Running,
    double? Waiting,
    double? KvCacheUsage,
    double? TokensPerSecond,
    long Requests,
    double? LatencyP50Ms,
    double? LatencyP99Ms);
