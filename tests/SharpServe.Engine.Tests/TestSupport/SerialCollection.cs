namespace SharpServe.Engine.Tests.TestSupport;

/// <summary>Tests that measure process-wide quantities (allocations, timing) run in this collection, alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}
