namespace SharpServe.Engine.Memory;

/// <summary>
/// The engine cannot be sized: the memory budget is too small, or the device's memory cannot be
/// read. The message carries the numbers needed to fix the flags.
/// </summary>
public sealed class MemoryBudgetException(string message) : Exception(message);
