using SharpServe.Fleet.Memory;

namespace SharpServe.Fleet.Tests.Memory;

public sealed class SmapsTextTests
{
    // Trimmed from a real Linux 6.x smaps_rollup.
    private const string Rollup = """
        55d9aa40e000-7fff520d9000 ---p 00000000 00:00 0                          [rollup]
        Rss:                1780 kB
        Pss:                 326 kB
        Pss_Dirty:           116 kB
        Pss_Anon:            116 kB
        Pss_File:            210 kB
        Pss_Shmem:             0 kB
        Shared_Clean:       1616 kB
        Anonymous:           116 kB
        """;

    // Two mappings of the model (one file can be split into several entries), another file whose
    // name has a space and starts with the model's path, and an anonymous mapping.
    private const string Smaps = """
        7f0000000000-7f0010000000 r--s 00000000 08:01 4242                       /models/m.gguf
        Size:             262144 kB
        Rss:              200000 kB
        Pss:               50000 kB
        Pss_Dirty:             0 kB
        VmFlags: rd sh mr mw me ms sd
        7f0010000000-7f0010100000 r--s 10000000 08:01 4242                       /models/m.gguf
        Size:               1024 kB
        Pss:                 256 kB
        7f0020000000-7f0020100000 r--p 00000000 08:01 4243                       /models/m.gguf copy
        Size:               1024 kB
        Pss:                1000 kB
        7f0030000000-7f0030100000 rw-p 00000000 00:00 0 
        Size:               1024 kB
        Pss:                 900 kB
        """;

    [Fact]
    public void Rollup_fields_are_read_in_bytes()
    {
        var usage = SmapsText.ParseRollup(Rollup);

        Assert.Equal(new ProcessMemoryUsage(1780 * 1024L, 326 * 1024L, 116 * 1024L, 210 * 1024L, 0), usage);
    }

    [Fact]
    public void Rollup_without_the_pss_breakdown_is_a_clear_error()
    {
        string oldKernel = string.Join('\n', Rollup.Split('\n').Where(l => !l.StartsWith("Pss_Anon", StringComparison.Ordinal)));

        var error = Assert.Throws<FormatException>(() => SmapsText.ParseRollup(oldKernel));
        Assert.Contains("Pss_Anon", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_field_that_is_not_a_number_is_a_clear_error()
    {
        var error = Assert.Throws<FormatException>(() => SmapsText.ParseRollup(Rollup.Replace("326 kB", "3x6 kB", StringComparison.Ordinal)));
        Assert.Contains("3x6", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_pss_sums_every_mapping_of_exactly_that_path()
    {
        Assert.Equal((50000 + 256) * 1024L, SmapsText.SumPss(Smaps, "/models/m.gguf"));
        Assert.Equal(1000 * 1024L, SmapsText.SumPss(Smaps, "/models/m.gguf copy"));
    }

    [Fact]
    public void A_file_that_is_not_mapped_has_no_pss()
    {
        Assert.Equal(0, SmapsText.SumPss(Smaps, "/models/other.gguf"));
    }
}
