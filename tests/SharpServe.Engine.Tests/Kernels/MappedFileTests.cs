using SharpServe.Engine.Kernels.Native;
using Xunit;

namespace SharpServe.Engine.Tests.Kernels;

/// <summary>
/// <see cref="MappedFile"/> maps files in 2 MiB pages where Linux allows (an aligned address, MADV_HUGEPAGE, and the
/// file's unmapped cached pages dropped first so that they are read back in 2 MiB folios): whatever path it takes, every
/// slice must hold the file's bytes, including across the 2 MiB boundary, the file's last partial page, and while a
/// second mapping of the same file is open and after it closes.
/// </summary>
public sealed class MappedFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sharpserve-mapped-").FullName;

    [Theory]
    [InlineData(1)]
    [InlineData(4097)]
    [InlineData((2 << 20) + 3)]
    [InlineData((5 << 20) + 4095)]
    public void SlicesHoldTheFilesBytes(int length)
    {
        byte[] expected = WriteRandomFile("weights.bin", length, seed: length);
        using var mapped = MappedFile.Open(Path.Combine(_directory, "weights.bin"));

        Assert.Equal(length, mapped.Length);
        Assert.True(mapped.Slice(0, length).Span.SequenceEqual(expected));
        int middle = Math.Min(length - 1, (2 << 20) - 5);
        int count = Math.Min(10, length - middle);
        Assert.True(mapped.Slice(middle, count).Span.SequenceEqual(expected.AsSpan(middle, count)));
        Assert.True(mapped.Slice(length - 1, 1).Span.SequenceEqual(expected.AsSpan(length - 1, 1)));
    }

    [Fact]
    public void TwoMappingsOfOneFileAgreeAndOneOutlivesTheOther()
    {
        const int Length = (3 << 20) + 17;
        byte[] expected = WriteRandomFile("shared.bin", Length, seed: 5);
        string path = Path.Combine(_directory, "shared.bin");
        using var first = MappedFile.Open(path);
        var second = MappedFile.Open(path);

        Assert.True(second.Slice(0, Length).Span.SequenceEqual(expected));
        second.Dispose();
        second.Dispose();
        Assert.True(first.Slice(0, Length).Span.SequenceEqual(expected));
    }

    [Fact]
    public void AnEmptyFileMapsToNothingAndSlicesOutsideAFileThrow()
    {
        File.WriteAllBytes(Path.Combine(_directory, "empty.bin"), []);
        using (var empty = MappedFile.Open(Path.Combine(_directory, "empty.bin")))
        {
            Assert.Equal(0, empty.Length);
            Assert.True(empty.Slice(0, 0).IsEmpty);
        }

        WriteRandomFile("small.bin", 100, seed: 1);
        using var small = MappedFile.Open(Path.Combine(_directory, "small.bin"));
        Assert.Throws<ArgumentOutOfRangeException>(() => small.Slice(90, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => small.Slice(-1, 1));
    }

    [Fact]
    public void AlignedBufferOverHugePagesStartsZeroedAndKeepsWhatIsWritten()
    {
        const int Length = (4 << 20) + 100;
        var buffer = new AlignedBuffer(Length);
        var span = buffer.Memory.Span;
        Assert.DoesNotContain(span.ToArray(), b => b != 0);
        var random = new Random(3);
        byte[] expected = new byte[Length];
        random.NextBytes(expected);
        expected.CopyTo(span);

        Assert.True(buffer.Memory.Span.SequenceEqual(expected));
        ((IDisposable)buffer).Dispose();
        ((IDisposable)buffer).Dispose();
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private byte[] WriteRandomFile(string name, int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(_directory, name), bytes);
        return bytes;
    }
}
