using ILGPU;
using ILGPU.Runtime;
using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// <see cref="SamplingKernels"/> loaded on one accelerator, launched with one group of <see cref="GroupSize"/> threads per
/// sampling row on the caller's stream. Nothing here copies between host and device.
/// </summary>
internal sealed class DeviceSamplingKernels
{
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<DeviceSamplingRow>, ArrayView<DeviceLogitEdit>, ArrayView<float>, ArrayView<SamplingState>, int> _prepare;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<DeviceSamplingRow>, ArrayView<float>, ArrayView<SamplingState>, int> _threshold;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<DeviceSamplingRow>, ArrayView<float>, ArrayView<SamplingState>, int> _nucleus;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<DeviceSamplingRow>, ArrayView<float>, ArrayView<SamplingState>, ArrayView<TokenLogprob>, int> _draw;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<DeviceSamplingRow>, ArrayView<TokenLogprob>, int> _logprobs;

    /// <param name="groupSize">Threads per row: a multiple of 32 up to <see cref="SamplingKernels.MaxGroupSize"/>.</param>
    public DeviceSamplingKernels(Accelerator accelerator, int groupSize)
    {
        if (accelerator.WarpSize != WarpReduce.Lanes)
        {
            throw new NotSupportedException($"{accelerator.Name} has {accelerator.WarpSize}-lane warps; the kernels need {WarpReduce.Lanes}");
        }

        if (groupSize <= 0 || groupSize % WarpReduce.Lanes != 0 || groupSize > Math.Min(SamplingKernels.MaxGroupSize, accelerator.MaxNumThreadsPerGroup))
        {
            throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize, $"the sampling group size must be a multiple of {WarpReduce.Lanes} up to {Math.Min(SamplingKernels.MaxGroupSize, accelerator.MaxNumThreadsPerGroup)}");
        }

        GroupSize = groupSize;
        _prepare = accelerator.LoadKernel<ArrayView<float>, ArrayView<DeviceSamplingRow>, ArrayView<DeviceLogitEdit>, ArrayView<float>, ArrayView<SamplingState>, int>(SamplingKernels.Prepare);
        _threshold = accelerator.LoadKernel<ArrayView<DeviceSamplingRow>, ArrayView<float>, ArrayView<SamplingState>, int>(SamplingKernels.Threshold);
        _nucleus = accelerator.LoadKernel<ArrayView<DeviceSamplingRow>, ArrayView<float>, ArrayView<SamplingState>, int>(SamplingKernels.Nucleus);
        _draw = accelerator.LoadKernel<ArrayView<DeviceSamplingRow>, ArrayView<float>, ArrayView<SamplingState>, ArrayView<TokenLogprob>, int>(SamplingKernels.Draw);
        _logprobs = accelerator.LoadKernel<ArrayView<float>, ArrayView<DeviceSamplingRow>, ArrayView<TokenLogprob>, int>(SamplingKernels.Logprobs);
    }

    public int GroupSize { get; }

    /// <summary>logits: [logitRows, vocab]; rows, states: [rows]; processed: [rows, vocab].</summary>
    public void Prepare(AcceleratorStream stream, ArrayView<float> logits, ArrayView<DeviceSamplingRow> rows, ArrayView<DeviceLogitEdit> edits, ArrayView<float> processed, ArrayView<SamplingState> states, int vocab) =>
        _prepare(stream, PerRow(rows), logits, rows, edits, processed, states, vocab);

    public void Threshold(AcceleratorStream stream, ArrayView<DeviceSamplingRow> rows, ArrayView<float> processed, ArrayView<SamplingState> states, int vocab) =>
        _threshold(stream, PerRow(rows), rows, processed, states, vocab);

    public void Nucleus(AcceleratorStream stream, ArrayView<DeviceSamplingRow> rows, ArrayView<float> processed, ArrayView<SamplingState> states, int vocab) =>
        _nucleus(stream, PerRow(rows), rows, processed, states, vocab);

    /// <summary>results: [rows + Σ top n].</summary>
    public void Draw(AcceleratorStream stream, ArrayView<DeviceSamplingRow> rows, ArrayView<float> processed, ArrayView<SamplingState> states, ArrayView<TokenLogprob> results, int vocab) =>
        _draw(stream, PerRow(rows), rows, processed, states, results, vocab);

    public void Logprobs(AcceleratorStream stream, ArrayView<float> logits, ArrayView<DeviceSamplingRow> rows, ArrayView<TokenLogprob> results, int vocab) =>
        _logprobs(stream, PerRow(rows), logits, rows, results, vocab);

    private KernelConfig PerRow(ArrayView<DeviceSamplingRow> rows) => new(rows.IntLength, GroupSize);
}
