using System.Globalization;

namespace SharpServe.Engine.Memory;

/// <summary>
/// The one place the device's current usage enters. A <see cref="MemoryPlan"/> comes from totals only, so the order instances
/// start in cannot change it (vLLM #17979); but it must still fit the memory the device has free when this instance opens
/// it. When other processes already hold that memory, starting anyway would fail later, mid-allocation, with the driver's
/// out-of-memory error instead of this one.
/// </summary>
public static class DeviceFit
{
    /// <param name="freeBytes">What the device reported free before this instance allocated its weights, activations and cache.</param>
    /// <exception cref="MemoryBudgetException">The plan needs more than <paramref name="freeBytes"/>; the message has the numbers.</exception>
    public static void Check(MemoryPlan plan, long freeBytes)
    {
        ArgumentNullException.ThrowIfNull(plan);
        long needed = plan.WeightBytes + plan.ActivationBytes + plan.KvCacheBytes;
        if (needed <= freeBytes)
        {
            return;
        }

        string remedy = plan.KvCacheOverridden
            ? "lower --kv-cache-memory"
            : Invariant($"lower --gpu-memory-utilization to at most {Math.Floor(freeBytes * 100.0 / plan.DeviceTotalBytes) / 100:0.00} (what is free of the device's {MemoryPlan.Gib(plan.DeviceTotalBytes)})");
        throw new MemoryBudgetException(Invariant(
            $"this instance needs {needed} bytes ({MemoryPlan.Gib(needed)}) on the device: weights {plan.WeightBytes} + activations {plan.ActivationBytes} + KV cache {plan.KvCacheBytes}, ") + Invariant(
            $"but only {freeBytes} bytes ({MemoryPlan.Gib(freeBytes)}) were free when it opened the device (other processes hold the rest); {remedy}, or stop what holds the memory"));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
