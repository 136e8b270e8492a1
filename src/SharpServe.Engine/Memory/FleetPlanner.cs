using System.Globalization;

namespace SharpServe.Engine.Memory;

/// <summary>
/// How many instances of a model fit on one device under a memory ceiling: for k = 1, 2, … each gets
/// fraction ceiling / k, and fits when <see cref="MemoryBudget"/> leaves it KV for the requested
/// concurrency of max-model-len sequences. Pure arithmetic on a <see cref="ModelFootprint"/>.
/// </summary>
public static class FleetPlanner
{
    public static FleetPlan Plan(ModelFootprint model, long deviceTotalBytes, double ceiling, int concurrency, int maxInstances)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(deviceTotalBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(concurrency);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxInstances);
        if (ceiling is not (> 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ceiling), ceiling, "the memory ceiling must be in (0, 1]");
        }

        var rows = new List<FleetPlanRow>();
        bool moreFit = false;
        for (int k = 1; k <= maxInstances + 1; k++)
        {
            double fraction = FractionEach(ceiling, k);
            InstanceCapacity? shared = SharedInputs(model, deviceTotalBytes, ceiling, k) is { } inputs ? Capacity(inputs, concurrency) : null;

            // Sharing only ever adds room, so once the shared accounting does not fit, nothing larger does.
            if (shared is null)
            {
                break;
            }

            if (k > maxInstances)
            {
                moreFit = true;
                break;
            }

            var own = Capacity(model.BudgetInputs(deviceTotalBytes, fraction), concurrency);
            double sharedFraction = SharedFractionEach(ceiling, deviceTotalBytes, model.WeightBytes, k);
            rows.Add(new FleetPlanRow(k, fraction, (long)Math.Floor(fraction * deviceTotalBytes), own, shared, sharedFraction));
        }

        if (rows is not [{ WeightsPerInstance: not null }, ..])
        {
            throw new MemoryBudgetException(NothingFits(model, deviceTotalBytes, ceiling, concurrency));
        }

        return new FleetPlan(deviceTotalBytes, ceiling, concurrency, model, rows, moreFit);
    }

    /// <summary>
    /// ceiling / k rounded down to 4 decimals: the printed fraction is the one computed with, and k
    /// copies of it never sum above the ceiling (rounding to nearest could).
    /// </summary>
    public static double FractionEach(double ceiling, int instances) =>
        (double)decimal.Round((decimal)ceiling / instances, 4, MidpointRounding.ToZero);

    /// <summary>
    /// Each instance's --gpu-memory-utilization when one copy of <paramref name="weightBytes"/> is held outside the instances
    /// (and counted 0 in their budgets): (ceiling × device − weights) / k, rounded down to 4 decimals like
    /// <see cref="FractionEach"/>, so the k fractions plus the weights never sum above the ceiling. 0 when the weights alone
    /// fill the ceiling.
    /// </summary>
    public static double SharedFractionEach(double ceiling, long deviceTotalBytes, long weightBytes, int instances)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(deviceTotalBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(weightBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(instances);
        decimal pool = Math.Floor((decimal)ceiling * deviceTotalBytes) - weightBytes;
        return pool <= 0 ? 0 : (double)decimal.Round(pool / deviceTotalBytes / instances, 4, MidpointRounding.ToZero);
    }

    /// <summary>The plan's capacity, or null when it cannot hold <paramref name="concurrency"/> max-length sequences.</summary>
    private static InstanceCapacity? Capacity(MemoryBudgetInputs inputs, int concurrency)
    {
        MemoryPlan plan;
        try
        {
            plan = MemoryBudget.Plan(inputs);
        }
        catch (MemoryBudgetException)
        {
            // Not even one sequence fits: the engine's own check, reused rather than re-derived.
            return null;
        }

        long sequences = plan.KvBlocks / MemoryBudget.SequenceBlocks(inputs);
        return sequences >= concurrency ? new InstanceCapacity(plan.KvTokens, plan.KvCacheBytes, sequences) : null;
    }

    /// <summary>
    /// One copy of the weights off the top of the ceiling; each instance gets 1/k of the rest for activations and KV, as
    /// the fraction of the device it is started with (what <c>fleet --device cuda</c> passes), its weights counted 0. Null
    /// when the weights alone fill the ceiling.
    /// </summary>
    private static MemoryBudgetInputs? SharedInputs(ModelFootprint model, long deviceTotalBytes, double ceiling, int instances)
    {
        double fraction = SharedFractionEach(ceiling, deviceTotalBytes, model.WeightBytes, instances);
        return fraction > 0 ? model.BudgetInputs(deviceTotalBytes, fraction) with { WeightBytes = 0 } : null;
    }

    private static string NothingFits(ModelFootprint model, long deviceTotalBytes, double ceiling, int concurrency)
    {
        var inputs = model.BudgetInputs(deviceTotalBytes, ceiling);
        long kv = concurrency * MemoryBudget.OneSequenceBytes(inputs);
        long needed = model.WeightBytes + model.ActivationBytes + kv;
        long available = (long)Math.Floor(ceiling * deviceTotalBytes);
        long device = (long)Math.Ceiling(needed / ceiling);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"not even 1 instance fits: it needs weights {model.WeightBytes} + activations {model.ActivationBytes} + KV {kv} bytes ({concurrency} × {model.MaxModelLen} tokens) = {needed} bytes ({MemoryPlan.Gib(needed)}), " +
            $"but the ceiling {ceiling} × {deviceTotalBytes} is {available} bytes ({MemoryPlan.Gib(available)}); needs a device of at least {device} bytes ({MemoryPlan.Gib(device)}) at this ceiling, or a lower --max-model-len, --concurrency or --max-num-batched-tokens");
    }
}
