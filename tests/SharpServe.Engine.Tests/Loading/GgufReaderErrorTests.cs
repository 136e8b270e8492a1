using SharpServe.Engine.Tests.TestSupport;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Tests.Loading;

/// <summary>Each malformed GGUF is refused with a <see cref="ModelFormatException"/> that names the file and the problem.</summary>
public sealed class GgufReaderErrorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void MissingFile() => Refused(_dir.File("absent.gguf"), "file not found");

    [Fact]
    public void EmptyFile()
    {
        File.WriteAllBytes(_dir.File("e.gguf"), []);
        Refused(_dir.File("e.gguf"), "truncated: magic");
    }

    [Fact]
    public void NotGguf()
    {
        File.WriteAllText(_dir.File("n.gguf"), "hello world, not a model");
        Refused(_dir.File("n.gguf"), "not a GGUF file");
    }

    [Fact]
    public void VersionOne() => Refused(RawGguf.Header(0, 0, version: 1), "GGUF version 1 is not supported");

    [Fact]
    public void BigEndian() => Refused(RawGguf.Header(0, 0, version: 0x03000000), "big-endian");

    [Fact]
    public void VersionTwoIsAccepted()
    {
        using var file = GgufReader.Open(RawGguf.Header(0, 1, version: 2).KvString("general.architecture", "qwen2").Save(_dir.File("v2.gguf")));
        Assert.Equal(2u, file.Version);
    }

    [Fact]
    public void TruncatedInCounts() => Refused(new RawGguf().Bytes("GGUF"u8.ToArray()).U32(3).U32(1), "truncated: tensor count");

    [Fact]
    public void AbsurdMetadataCount() => Refused(RawGguf.Header(0, 1UL << 60), "metadata count is 1152921504606846976");

    [Fact]
    public void AbsurdTensorCount() => Refused(RawGguf.Header(ulong.MaxValue, 0), "tensor count is 18446744073709551615");

    [Fact]
    public void StringLongerThanTheFile() =>
        Refused(RawGguf.Header(0, 1).U64(1UL << 62).Bytes("key"u8.ToArray()).Zeros(16), "metadata key 0 at byte 32 claims 4611686018427387904 bytes");

    [Fact]
    public void ArrayCountLargerThanTheFile() =>
        Refused(RawGguf.Header(0, 1).Str("big").U32(9).U32(4).U64(1UL << 40).Zeros(8), "element count of 'big'");

    [Fact]
    public void StringArrayCountLargerThanTheFile() =>
        Refused(RawGguf.Header(0, 1).Str("tokens").U32(9).U32(8).U64(1000).Zeros(16), "cannot fit");

    [Fact]
    public void UnknownValueType() => Refused(RawGguf.Header(0, 1).Str("k").U32(13).U32(0), "'k' has unknown value type 13");

    [Fact]
    public void NestedArray() => Refused(RawGguf.Header(0, 1).Str("k").U32(9).U32(9).U64(1).Zeros(16), "'k' is an array of unsupported type 9");

    [Fact]
    public void DuplicateKey() => Refused(RawGguf.Header(0, 2).KvU32("k", 1).KvU32("k", 2), "metadata key 'k' appears twice");

    [Fact]
    public void NonUtf8Key() => Refused(RawGguf.Header(0, 1).StrBytes([0x6b, 0xff, 0xfe]).U32(4).U32(1), "metadata key 0 is not valid UTF-8");

    [Fact]
    public void AlignmentNotAPowerOfTwo() => Refused(RawGguf.Header(0, 1).KvU32("general.alignment", 48), "general.alignment = 48 is not a power of two");

    [Fact]
    public void AlignmentOfWrongType() =>
        Refused(RawGguf.Header(0, 1).KvString("general.alignment", "32"), "'general.alignment' is string, expected uint32");

    [Fact]
    public void UnsupportedTensorTypeIsNamed()
    {
        var raw = RawGguf.Header(1, 0).Tensor("blk.0.attn_q.weight", [256, 4], 13, 0).PadTo(32).Zeros(4 * 176);
        Refused(raw, "tensor blk.0.attn_q.weight has type Q5_K (13), not supported yet");
    }

    [Fact]
    public void UnknownTensorType() => Refused(RawGguf.Header(1, 0).Tensor("t", [4], 99, 0).PadTo(32).Zeros(32), "has type unknown type (99)");

    [Fact]
    public void DuplicateTensorName() =>
        Refused(RawGguf.Header(2, 0).Tensor("t", [4], 0, 0).Tensor("t", [4], 0, 32).PadTo(32).Zeros(64), "tensor name 't' appears twice");

    [Fact]
    public void NonUtf8TensorName() =>
        Refused(RawGguf.Header(1, 0).StrBytes([0xc3, 0x28]).U32(1).U64(4).U32(0).U64(0).PadTo(32).Zeros(32), "name of tensor 0 is not valid UTF-8");

    [Theory]
    [InlineData(0u)]
    [InlineData(5u)]
    public void UnsupportedDimensionCount(uint dims)
    {
        var raw = RawGguf.Header(1, 0).Str("t").U32(dims);
        for (int i = 0; i < dims; i++)
        {
            raw.U64(1);
        }

        Refused(raw.U32(0).U64(0).PadTo(32).Zeros(32), $"tensor 't' has {dims} dimensions");
    }

    [Fact]
    public void DimensionTooLarge() => Refused(RawGguf.Header(1, 0).Tensor("t", [1UL << 31], 0, 0).PadTo(32), "dimension 0 is 2147483648");

    [Fact]
    public void TensorLargerThanTheFile() =>
        Refused(RawGguf.Header(1, 0).Tensor("t", [int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue], 0, 0).PadTo(32), "is larger than the file");

    [Fact]
    public void Q8RowsNotAMultipleOf32() => Refused(RawGguf.Header(1, 0).Tensor("q", [48, 2], 8, 0).PadTo(32).Zeros(128), "Q8_0 with rows of 48 values");

    [Fact]
    public void Q4RowsNotAMultipleOf32() => Refused(RawGguf.Header(1, 0).Tensor("q", [80, 2], 2, 0).PadTo(32).Zeros(128), "Q4_0 with rows of 80 values");

    [Fact]
    public void Q6KRowsNotAMultipleOf256() => Refused(RawGguf.Header(1, 0).Tensor("q", [288, 1], 14, 0).PadTo(32).Zeros(256), "Q6_K with rows of 288 values");

    [Fact]
    public void OverlappingTensors() =>
        Refused(RawGguf.Header(2, 0).Tensor("a", [16], 0, 0).Tensor("b", [16], 0, 32).PadTo(32).Zeros(128), "tensor b has data offset 32, expected 64");

    [Fact]
    public void MisalignedOffset() =>
        Refused(RawGguf.Header(2, 0).Tensor("a", [4], 0, 0).Tensor("b", [4], 0, 16).PadTo(32).Zeros(64), "tensor b has data offset 16, expected 32");

    [Fact]
    public void OffsetOutOfRange() =>
        Refused(RawGguf.Header(1, 0).Tensor("a", [4], 0, 1UL << 50).PadTo(32).Zeros(32), "has data offset 1125899906842624, expected 0");

    [Fact]
    public void TruncatedTensorData() =>
        Refused(RawGguf.Header(1, 0).Tensor("a", [16], 0, 0).PadTo(32).Zeros(40), "truncated: tensor a F32 [16] needs bytes");

    [Fact]
    public void TruncatedTensorInfo() => Refused(RawGguf.Header(1, 0).Str("a").U32(2).U64(4), "truncated or corrupt: tensor count is 1");

    private void Refused(RawGguf raw, string problem) => Refused(raw.Save(_dir.File($"{Guid.NewGuid():N}.gguf")), problem);

    private static void Refused(string path, string problem)
    {
        var e = Assert.Throws<ModelFormatException>(() => GgufReader.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }
}
