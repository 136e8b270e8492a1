using System.Text;

namespace SharpServe.Fleet.Gateway;

/// <summary>
/// The same prompt prefix goes to the same instance, so its prefix cache hits. The instance is chosen by
/// rendezvous hashing (highest hash of prefix and instance id), so when an instance joins or leaves only the
/// prefixes it wins move. When the chosen one has more than <paramref name="maxImbalance"/> requests in flight
/// beyond the least loaded, or there is no prompt, it falls back to least-requests.
/// </summary>
public sealed class PrefixAffinityPolicy(int maxImbalance) : IRoutingPolicy
{
    public string Name => RoutingPolicies.PrefixAffinity;

    public UpstreamState Choose(IReadOnlyList<UpstreamState> candidates, string? promptPrefix)
    {
        UpstreamState least = LeastRequestsPolicy.Least(candidates);
        if (string.IsNullOrEmpty(promptPrefix))
        {
            return least;
        }

        ulong prefixHash = Fnv1a(Encoding.UTF8.GetBytes(promptPrefix), FnvOffset);
        UpstreamState sticky = candidates[0];
        ulong best = 0;
        foreach (UpstreamState candidate in candidates)
        {
            ulong score = Mix(Fnv1a(Encoding.UTF8.GetBytes(candidate.Id), prefixHash));
            if (score >= best)
            {
                (best, sticky) = (score, candidate);
            }
        }

        return sticky.InFlight - least.InFlight > maxImbalance ? least : sticky;
    }

    private const ulong FnvOffset = 14695981039346656037UL;

    // FNV-1a: stable across processes and runs (string.GetHashCode is randomised per process).
    private static ulong Fnv1a(ReadOnlySpan<byte> bytes, ulong hash)
    {
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    // A 64-bit finaliser (splitmix64), so ids that differ in one character still spread over the whole range.
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
        return x ^ (x >> 31);
    }
}
