namespace SharpServe.Engine.Memory;

/// <summary>
/// One instance count of a <see cref="FleetPlan"/>. A capacity is null where that accounting does not
/// fit the requested concurrency: sharing the weights can fit instances that per-instance weights cannot.
/// </summary>
/// <param name="Fraction">The --gpu-memory-utilization of each instance.</param>
/// <param name="BudgetBytes">Fraction × device total: each instance's budget.</param>
/// <param name="WeightsPerInstance">Each instance's budget holds its own copy of the weights (vLLM's accounting, and the engine's).</param>
/// <param name="WeightsShared">The weights are resident once and the rest of the ceiling is split evenly.</param>
/// <param name="SharedFraction">Each instance's fraction of the device when the weights are shared: its activations and KV only.</param>
public sealed record FleetPlanRow(int Instances, double Fraction, long BudgetBytes, InstanceCapacity? WeightsPerInstance, InstanceCapacity? WeightsShared, double SharedFraction);
