using SharpServe.Fleet.Gateway;

namespace SharpServe.Fleet.Tests.Gateway;

public class RoutingPolicyTests
{
    private static UpstreamState[] Upstreams(params int[] inFlight) => [.. inFlight.Select((load, i) =>
    {
        var state = new UpstreamState(new Upstream($"instance-{8001 + i}", new Uri($"http://127.0.0.1:{8001 + i}/"), ["m"]));
        for (int r = 0; r < load; r++)
        {
            state.BeginRequest();
        }

        return state;
    })];

    [Fact]
    public void LeastRequests_picks_the_fewest_in_flight()
    {
        UpstreamState[] upstreams = Upstreams(3, 1, 2);
        Assert.Same(upstreams[1], new LeastRequestsPolicy().Choose(upstreams, null));
        upstreams[1].BeginRequest();
        upstreams[1].BeginRequest();
        Assert.Same(upstreams[2], new LeastRequestsPolicy().Choose(upstreams, null));
    }

    [Fact]
    public void RoundRobin_takes_each_in_turn()
    {
        UpstreamState[] upstreams = Upstreams(0, 5, 0);
        var policy = new RoundRobinPolicy();
        string[] picks = [.. Enumerable.Range(0, 6).Select(_ => policy.Choose(upstreams, null).Id)];
        Assert.Equal(["instance-8001", "instance-8002", "instance-8003", "instance-8001", "instance-8002", "instance-8003"], picks);
    }

    [Fact]
    public void PowerOfTwo_never_picks_the_most_loaded_and_spreads_equal_load()
    {
        UpstreamState[] loaded = Upstreams(0, 5, 10);
        var policy = new PowerOfTwoPolicy(new Random(42));
        var picks = Enumerable.Range(0, 3000).Select(_ => policy.Choose(loaded, null).Id).ToList();
        Assert.DoesNotContain("instance-8003", picks);

        // Of two random distinct candidates the least loaded wins: instance-8001 is in 2 of 3 pairs.
        double share = picks.Count(id => id == "instance-8001") / 3000.0;
        Assert.InRange(share, 0.6, 0.73);

        UpstreamState[] even = Upstreams(0, 0, 0);
        var counts = Enumerable.Range(0, 3000).Select(_ => policy.Choose(even, null).Id).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, count => Assert.InRange(count, 600, 1500));
    }

    [Fact]
    public void PowerOfTwo_is_deterministic_for_a_seed()
    {
        UpstreamState[] upstreams = Upstreams(0, 0, 0, 0);
        var first = new PowerOfTwoPolicy(new Random(7));
        var second = new PowerOfTwoPolicy(new Random(7));
        Assert.Equal(
            Enumerable.Range(0, 100).Select(_ => first.Choose(upstreams, null).Id),
            Enumerable.Range(0, 100).Select(_ => second.Choose(upstreams, null).Id));
    }

    [Fact]
    public void PrefixAffinity_is_sticky_spreads_prefixes_and_moves_only_the_removed_ones_share()
    {
        UpstreamState[] upstreams = Upstreams(0, 0, 0, 0);
        var policy = new PrefixAffinityPolicy(maxImbalance: 4);
        string[] prefixes = [.. Enumerable.Range(0, 400).Select(i => $"You are assistant number {i}. Answer briefly.")];
        var placed = prefixes.ToDictionary(p => p, p => policy.Choose(upstreams, p).Id);

        // Sticky: the same prefix lands on the same instance every time.
        Assert.All(prefixes, p => Assert.Equal(placed[p], policy.Choose(upstreams, p).Id));

        // Spread: every instance gets a fair share of distinct prefixes.
        Assert.All(placed.Values.GroupBy(id => id), group => Assert.InRange(group.Count(), 50, 150));
        Assert.Equal(4, placed.Values.Distinct().Count());

        // Rendezvous: removing one instance moves only the prefixes it had.
        UpstreamState[] three = [upstreams[0], upstreams[1], upstreams[3]];
        foreach (string p in prefixes.Where(p => placed[p] != "instance-8003"))
        {
            Assert.Equal(placed[p], policy.Choose(three, p).Id);
        }
    }

    [Fact]
    public void PrefixAffinity_falls_back_to_least_requests_when_its_instance_is_overloaded()
    {
        UpstreamState[] upstreams = Upstreams(0, 0);
        var policy = new PrefixAffinityPolicy(maxImbalance: 2);
        const string Prompt = "a shared system prompt";
        UpstreamState sticky = policy.Choose(upstreams, Prompt);
        UpstreamState other = upstreams.Single(u => u != sticky);
        sticky.BeginRequest();
        sticky.BeginRequest();
        Assert.Same(sticky, policy.Choose(upstreams, Prompt));
        sticky.BeginRequest();
        Assert.Same(other, policy.Choose(upstreams, Prompt));
        Assert.Same(other, policy.Choose(upstreams, null));
    }

    [Fact]
    public void Unknown_policy_name_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => RoutingPolicies.Create("fastest", 4));
        Assert.Contains("least-requests", e.Message, StringComparison.Ordinal);
    }
}
