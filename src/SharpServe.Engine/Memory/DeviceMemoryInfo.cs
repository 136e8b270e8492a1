namespace SharpServe.Engine.Memory;

/// <summary>
/// What <see cref="DeviceMemory"/> found. <see cref="Notes"/> says where the total came from and
/// which cgroup files were ignored and why, for the startup log.
/// </summary>
public sealed record DeviceMemoryInfo(long TotalBytes, long PhysicalBytes, long? CgroupLimitBytes, IReadOnlyList<string> Notes);
