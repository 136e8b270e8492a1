namespace SharpServe.Fleet.Spec;

/// <summary>The validator's outcome: no errors means <see cref="Instances"/> is the plan to start.</summary>
public sealed record FleetValidation(IReadOnlyList<string> Errors, IReadOnlyList<ResolvedInstance> Instances);
