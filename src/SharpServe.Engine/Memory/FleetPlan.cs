namespace SharpServe.Engine.Memory;

/// <summary>The outcome of <see cref="FleetPlanner.Plan"/>: every instance count that fits, from one up.</summary>
/// <param name="MoreFit">The table stopped at the requested most instances while more would still fit.</param>
public sealed record FleetPlan(long DeviceTotalBytes, double Ceiling, int Concurrency, ModelFootprint Model, IReadOnlyList<FleetPlanRow> Rows, bool MoreFit);
