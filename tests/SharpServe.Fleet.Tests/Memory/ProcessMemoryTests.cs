using System.IO.MemoryMappedFiles;
using SharpServe.Fleet.Memory;

namespace SharpServe.Fleet.Tests.Memory;

/// <summary>Reads the test process's own /proc entries, so the parsing is checked against the running kernel.</summary>
public sealed class ProcessMemoryTests : IDisposable
{
    private const int FileBytes = 8 << 20;
    private const int PageBytes = 4096;

    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-process-memory-").FullName;
    private readonly ProcessMemory _memory = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_test_process_has_a_consistent_pss_breakdown()
    {
        var usage = _memory.ReadUsage(Environment.ProcessId);

        Assert.NotNull(usage);
        Assert.InRange(usage.PssBytes, 1, usage.RssBytes);
        Assert.True(usage.PssAnonBytes > 0, "a .NET process has a managed heap");

        // The kernel rounds each part to whole kB separately.
        long parts = usage.PssAnonBytes + usage.PssFileBytes + usage.PssShmemBytes;
        Assert.InRange(usage.PssBytes - parts, -3 * 1024, 3 * 1024);
    }

    [Fact]
    public void A_mapped_file_is_charged_while_mapped_and_touched()
    {
        string path = Path.Combine(_folder, "weights.bin");
        File.WriteAllBytes(path, new byte[FileBytes]);
        int pid = Environment.ProcessId;

        using (var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read))
        using (var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read))
        {
            long sum = 0;
            for (long offset = 0; offset < FileBytes; offset += PageBytes)
            {
                sum += view.ReadByte(offset);
            }

            Assert.Equal(0, sum);
            long? pss = _memory.ReadFilePss(pid, path);

            // Only this process maps it, so every touched page is charged here in full.
            Assert.NotNull(pss);
            Assert.InRange(pss.Value, FileBytes / 2, FileBytes);
        }

        Assert.Equal(0, _memory.ReadFilePss(pid, path));
    }

    [Fact]
    public void A_symlink_is_followed_to_the_mapped_file()
    {
        string path = Path.Combine(_folder, "weights.bin");
        string link = Path.Combine(_folder, "link.bin");
        File.WriteAllBytes(path, new byte[FileBytes]);
        File.CreateSymbolicLink(link, path);

        using var map = MemoryMappedFile.CreateFromFile(link, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        Assert.Equal(0, view.ReadByte(0));

        Assert.True(_memory.ReadFilePss(Environment.ProcessId, link) > 0);
    }

    [Fact]
    public void A_process_that_is_gone_reads_as_null()
    {
        // A procfs with no entry for the pid, as /proc looks once a process has been reaped.
        var memory = new ProcessMemory(_folder);

        Assert.Null(memory.ReadUsage(12345));
        Assert.Null(memory.ReadFilePss(12345, Path.Combine(_folder, "weights.bin")));
    }

    [Fact]
    public void An_exited_and_reaped_child_reads_as_null()
    {
        using var child = System.Diagnostics.Process.Start("true")!;
        Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)));
        int pid = child.Id;

        Assert.Null(_memory.ReadUsage(pid));
    }
}
