using SharpServe.Engine.Creation;
using SharpServe.Engine.Cuda.Sharing;
using SharpServe.Engine.Cuda.Tests.Models;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;

namespace SharpServe.Engine.Cuda.Tests.Sharing;

/// <summary>
/// The model on the simulated device reading its weights from one arena gives the very logits of the per-tensor uploads:
/// same kernels, same bytes, only the addresses differ. A prefill of two sequences (the GEMM), then two decode tokens (the GEMV).
/// </summary>
[Collection(SimulatedDeviceCollection.Name)]
public sealed class WeightArenaForwardTests(SimulatedDevice device)
{
    // One dtype: the CPU accelerator runs a GPU thread per .NET thread, and the views are the same for every dtype (bytes
    // at an offset); f16 takes the GEMM at prefill and the GEMV at decode.
    [Fact]
    public void ArenaLogits_EqualPerTensorUploadLogitsBitwise()
    {
        string path = SmallModels.Write(ModelFileFormat.Hf, TensorDType.F16);
        using var perTensor = LoadedModel.FromCheckpoint(ModelLoader.Load(path), new CudaBackend(device.Accelerator, ownsAccelerator: false));
        using var arena = LoadedModel.FromCheckpoint(ModelLoader.Load(path), new CudaBackend(device.Accelerator, ownsAccelerator: false));
        ((CudaBackend)arena.Backend).UseWeightArena(WeightArena.Upload(device.Accelerator, WeightArenaLayout.Of(arena.Weights)));
        var perTensorRunner = new ModelRunner(perTensor.Model, new KvCachePool(perTensor.Config, 8, 4, KvCacheDType.Float32, perTensor.Backend));
        var arenaRunner = new ModelRunner(arena.Model, new KvCachePool(arena.Config, 8, 4, KvCacheDType.Float32, arena.Backend));
        var (a1, b1, a2, b2) = (new SequenceState(), new SequenceState(), new SequenceState(), new SequenceState());

        int[][][] steps = [[[11, 250, 3, 199, 42], [5, 60]], [[64], [30]]];
        for (int s = 0; s < steps.Length; s++)
        {
            var expected = perTensorRunner.Step([new BatchEntry(a1, steps[s][0]), new BatchEntry(b1, steps[s][1])], allPositions: s == 0);
            var actual = arenaRunner.Step([new BatchEntry(a2, steps[s][0]), new BatchEntry(b2, steps[s][1])], allPositions: s == 0);

            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Arena_AfterWeightsWereUploadedOneByOne_IsRefused()
    {
        string path = SmallModels.Write(ModelFileFormat.Gguf, TensorDType.F32);
        using var model = LoadedModel.FromCheckpoint(ModelLoader.Load(path), new CudaBackend(device.Accelerator, ownsAccelerator: false));
        var runner = new ModelRunner(model.Model, new KvCachePool(model.Config, 4, 4, KvCacheDType.Float32, model.Backend));
        runner.Step([new BatchEntry(new SequenceState(), [1])], allPositions: false);
        using var arena = WeightArena.Upload(device.Accelerator, WeightArenaLayout.Of(model.Weights));

        var error = Assert.Throws<InvalidOperationException>(() => ((CudaBackend)model.Backend).UseWeightArena(arena));

        Assert.Contains("attach the arena before the first forward pass", error.Message, StringComparison.Ordinal);
    }
}
