using SharpServe.Engine.Memory;

namespace SharpServe.Engine.Tests.Memory;

public sealed class DeviceMemoryTests
{
    private const string MemInfo = "MemTotal:       24684092 kB\nMemFree:         1000 kB\n";
    private const long Physical = 24_684_092L * 1024;

    private static DeviceMemoryInfo Detect(Dictionary<string, string> files) =>
        new DeviceMemory(path => files.GetValueOrDefault(path), "/p", "/c").Detect();

    private static Dictionary<string, string> V2(string path, string? limit)
    {
        var files = new Dictionary<string, string> { ["/p/meminfo"] = MemInfo, ["/p/self/cgroup"] = $"0::{path}\n" };
        if (limit is not null)
        {
            files[$"/c{path}/memory.max"] = limit;
        }

        return files;
    }

    [Fact]
    public void CgroupV2Number_LowersTheTotal()
    {
        var info = Detect(V2("/app.slice/x", "8589934592\n"));
        Assert.Equal(8_589_934_592, info.TotalBytes);
        Assert.Equal(Physical, info.PhysicalBytes);
    }

    [Fact]
    public void CgroupV2Max_MeansPhysicalRam()
    {
        var info = Detect(V2("/app.slice/x", "max\n"));
        Assert.Equal(Physical, info.TotalBytes);
        Assert.Null(info.CgroupLimitBytes);
    }

    [Fact]
    public void MissingCgroupFiles_MeanPhysicalRam()
    {
        Assert.Equal(Physical, Detect(V2("/app.slice/x", null)).TotalBytes);
        Assert.Equal(Physical, Detect(new() { ["/p/meminfo"] = MemInfo }).TotalBytes);
    }

    [Fact]
    public void GarbageCgroupValue_IsIgnoredWithAReason()
    {
        var info = Detect(V2("/x", "lots\n"));
        Assert.Equal(Physical, info.TotalBytes);
        Assert.Contains(info.Notes, note => note.Contains("/c/x/memory.max", StringComparison.Ordinal) && note.Contains("'lots'", StringComparison.Ordinal));
    }

    [Fact]
    public void ParentCgroupLimit_BindsTheChild()
    {
        var files = V2("/parent/child", "max");
        files["/c/parent/memory.max"] = "4294967296";
        Assert.Equal(4_294_967_296, Detect(files).TotalBytes);
    }

    [Fact]
    public void CgroupV1Limit_IsRead_AndItsUnlimitedValueMeansPhysicalRam()
    {
        var files = new Dictionary<string, string>
        {
            ["/p/meminfo"] = MemInfo,
            ["/p/self/cgroup"] = "4:memory:/job\n1:cpu:/\n0::/\n",
            ["/c/memory/job/memory.limit_in_bytes"] = "2147483648",
        };
        Assert.Equal(2_147_483_648, Detect(files).TotalBytes);

        files["/c/memory/job/memory.limit_in_bytes"] = "9223372036854771712";
        Assert.Equal(Physical, Detect(files).TotalBytes);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("MemFree: 12 kB\n")]
    [InlineData("MemTotal: lots kB\n")]
    public void MissingOrBadMemTotal_IsAClearError(string? meminfo)
    {
        var files = new Dictionary<string, string>();
        if (meminfo is not null)
        {
            files["/p/meminfo"] = meminfo;
        }

        var e = Assert.Throws<MemoryBudgetException>(() => Detect(files));
        Assert.Contains("/p/meminfo", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DetectHost_OnThisMachine_IsPositiveAndAtMostPhysical()
    {
        var info = DeviceMemory.DetectHost();
        Assert.InRange(info.TotalBytes, 1, info.PhysicalBytes);
    }
}
