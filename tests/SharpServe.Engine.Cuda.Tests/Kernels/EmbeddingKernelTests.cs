using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

[Collection(SimulatedDeviceCollection.Name)]
public sealed class EmbeddingKernelTests(SimulatedDevice device)
{
    public static TheoryData<TensorDType> Types => [.. TestData.SixteenBitAndF32];

    [Theory]
    [MemberData(nameof(Types))]
    public void WidensTheRowsExactlyAsTheCpuBackend(TensorDType type)
    {
        const int Vocab = 50;
        const int Columns = 300;
        int[] ids = [0, 49, 7, 7];
        var (_, bytes) = TestData.Store(TestData.Floats(Vocab * Columns, 10, 4f), type);
        using var table = device.Upload(bytes);
        using var dIds = device.Upload(ids);
        using var dy = device.Upload(new float[ids.Length * Columns]);

        device.Kernels.Embedding(device.Stream, type, table.View, dIds.View, dy.View, Columns);

        using var cpu = new CpuBackend(1);
        var expected = new float[ids.Length * Columns];
        cpu.EmbeddingLookup(new WeightTensor("table", type, [Vocab, Columns], bytes), ids, expected);
        TestData.BitwiseEqual(expected, device.Download(dy));
    }
}
