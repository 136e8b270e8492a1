using SharpServe.Engine.Kernels;

namespace SharpServe.Bench.Tests;

public class PhaseProfileTests
{
    [Fact]
    public void Lines_ListTheHeaviestOperationFirst_AndTheRestAsOutsideTheSeam()
    {
        var totals = new Dictionary<string, OperationTime>
        {
            ["rms_norm"] = new(56, TimeSpan.FromMilliseconds(10)),
            ["matmul blk.*.ffn_up.weight"] = new(28, TimeSpan.FromMilliseconds(60)),
        };

        var lines = PhaseProfile.Lines("q4_0 batched", TimeSpan.FromMilliseconds(100), totals).ToArray();

        Assert.Equal("profile q4_0 batched: 100.0 ms", lines[0]);
        Assert.Equal(["matmul", "blk.*.ffn_up.weight", "60.0", "ms", "60.0", "%", "28"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["rms_norm", "10.0", "ms", "10.0", "%", "56"], lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["outside", "the", "seam", "30.0", "ms", "30.0", "%"], lines[3].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(4, lines.Length);
    }

    [Fact]
    public void Lines_AlignTheColumnsPastTheLongestName()
    {
        var totals = new Dictionary<string, OperationTime>
        {
            ["matmul blk.*.attn_q.weight + attn_k.weight + attn_v.weight"] = new(28, TimeSpan.FromMilliseconds(60)),
            ["rms_norm"] = new(56, TimeSpan.FromMilliseconds(10)),
        };

        var lines = PhaseProfile.Lines("q8_0 decode", TimeSpan.FromMilliseconds(100), totals).Skip(1).ToArray();

        Assert.Single(lines.Select(line => line.IndexOf(" ms ", StringComparison.Ordinal)).Distinct());
        Assert.StartsWith("  matmul blk.*.attn_q.weight + attn_k.weight + attn_v.weight ", lines[0], StringComparison.Ordinal);
    }
}
