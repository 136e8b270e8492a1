using System.Globalization;
using System.Text;
using SharpServe.Engine.Memory;

namespace SharpServe.Cli.Commands;

/// <summary>The text <c>fleet plan</c> prints: the inputs, one table per weight accounting, and the note on batching.</summary>
internal static class FleetPlanReport
{
    private const string Missing = "—";

    public static string Format(string modelPath, FleetPlan plan, int maxNumBatchedTokens)
    {
        ModelFootprint model = plan.Model;
        long ceilingBytes = (long)Math.Floor(plan.Ceiling * plan.DeviceTotalBytes);
        var text = new StringBuilder();
        Line(text, $"Model {modelPath}: weights {Bytes(model.WeightBytes)}, activations {Bytes(model.ActivationBytes)} for {maxNumBatchedTokens} batched tokens, " +
            $"KV {model.KvBytesPerToken} bytes per token ({model.KvCacheDType})");
        Line(text, $"Device {Bytes(plan.DeviceTotalBytes)}, ceiling {plan.Ceiling} = {Bytes(ceilingBytes)}; each instance must hold {plan.Concurrency} × {model.MaxModelLen}-token sequence(s)");
        text.AppendLine();

        Line(text, $"Weights counted per instance (vLLM's accounting; fleet --device cpu, and --no-share-weights on a card): each fraction holds its own copy of the weights");
        Table(text, plan, row => row.Fraction, row => row.BudgetBytes, row => row.WeightsPerInstance);
        text.AppendLine();
        Line(text, $"Weights shared: one copy off the ceiling, the rest split evenly, each fraction holding activations and KV only. " +
            $"These are the fractions `fleet --device cuda` starts its instances with: it holds the one copy on the card and every instance maps it through CUDA IPC. " +
            $"On a CPU the instances map one file, so the page cache holds the weights once, but each instance's budget still counts them");
        Table(text, plan, row => row.SharedFraction, row => (long)Math.Floor(row.SharedFraction * plan.DeviceTotalBytes), row => row.WeightsShared);
        if (plan.MoreFit)
        {
            Line(text, $"(more than {plan.Rows.Count} instances would fit; raise --max-instances to see them)");
        }

        text.AppendLine();
        Line(text, $"Advice: for throughput and latency run 1 instance: continuous batching puts all its sequences in one step over one KV pool, with one set of activations. " +
            $"Measured on a 2-core CPU with the r1-distill-1.5b random model (README, bench/single-vs-fleet.sh): 1 instance served 1.07-1.53× the requests/s " +
            $"of 2 behind the gateway at concurrency 2 to 8, with lower P99 TTFT and E2E latency, and at least matched them at concurrency 1. " +
            $"Run 2 or more when you need failover or isolation; the weights are mapped once, so each extra " +
            $"instance costs its KV cache and activations, not another copy of the weights.");
        return text.ToString();
    }

    private static void Table(StringBuilder text, FleetPlan plan, Func<FleetPlanRow, double> fraction, Func<FleetPlanRow, long> budget, Func<FleetPlanRow, InstanceCapacity?> pick)
    {
        Line(text, $"{"instances",9}  {"fraction each",13}  {"budget each",32}  {"KV each",32}  {"KV tokens each",14}  {"max-len seqs each",17}  {"total seqs",10}");
        foreach (FleetPlanRow row in plan.Rows)
        {
            InstanceCapacity? capacity = pick(row);
            Line(text, $"{row.Instances,9}  {fraction(row),13}  {Bytes(budget(row)),32}  {(capacity is null ? Missing : Bytes(capacity.KvBytes)),32}  " +
                $"{capacity?.KvTokens.ToString(CultureInfo.InvariantCulture) ?? Missing,14}  {capacity?.Sequences.ToString(CultureInfo.InvariantCulture) ?? Missing,17}  " +
                $"{(capacity is null ? Missing : (capacity.Sequences * row.Instances).ToString(CultureInfo.InvariantCulture)),10}");
        }
    }

    private static string Bytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{MemoryPlan.Gib(bytes)} ({bytes} bytes)");

    private static void Line(StringBuilder text, string line) => text.AppendLine(line);
}
