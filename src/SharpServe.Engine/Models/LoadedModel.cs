using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Engine.Models;

/// <summary>A checkpoint opened for inference: weights bound in place, a backend, and the tokenizer if the model has one.</summary>
public sealed class LoadedModel : IDisposable
{
    private LoadedModel(ModelCheckpoint checkpoint, Qwen2Weights weights, Qwen2Model model, IComputeBackend backend, Qwen2Tokenizer? tokenizer)
    {
        ResidentWeightBytes = weights.ResidentBytes();
        Weights = weights;
        Checkpoint = checkpoint;
        Model = model;
        Backend = backend;
        Tokenizer = tokenizer;
    }

    public ModelCheckpoint Checkpoint { get; }
    public Qwen2Model Model { get; }
    public IComputeBackend Backend { get; }
    public Qwen2Tokenizer? Tokenizer { get; }
    public Qwen2Config Config => Model.Config;

    /// <summary>The bound weights, the very objects the model passes to the backend (a GPU backend keys its device copies by them).</summary>
    public Qwen2Weights Weights { get; }

    /// <summary>Bytes of the weights the kernels read (see <see cref="Qwen2Weights.ResidentBytes"/>): what the startup log and /metrics report.</summary>
    public long ResidentWeightBytes { get; }

    /// <summary>Loads an HF directory or GGUF file; bad input surfaces as <see cref="ModelFormatException"/>.</summary>
    public static LoadedModel Open(string path, int threads) => FromCheckpoint(ModelLoader.Load(path), threads);

    /// <summary>Loads with <paramref name="options"/> (e.g. int8 quantization at load, on <paramref name="threads"/> threads).</summary>
    public static LoadedModel Open(string path, ModelLoadOptions options, int threads) => FromCheckpoint(ModelLoader.Load(path, options, threads), threads);

    /// <summary>Binds an already loaded checkpoint (taking ownership of it) to a CPU backend.</summary>
    public static LoadedModel FromCheckpoint(ModelCheckpoint checkpoint, int threads)
    {
        CpuBackend backend;
        try
        {
            backend = new CpuBackend(threads);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }

        return FromCheckpoint(checkpoint, backend);
    }

    /// <summary>Binds an already loaded checkpoint to <paramref name="backend"/>, taking ownership of both.</summary>
    public static LoadedModel FromCheckpoint(ModelCheckpoint checkpoint, IComputeBackend backend)
    {
        try
        {
            var weights = Qwen2WeightBinder.Bind(checkpoint);
            var tokenizer = checkpoint.Tokenizer is { } spec ? new Qwen2Tokenizer(spec) : null;
            return new LoadedModel(checkpoint, weights, new Qwen2Model(checkpoint.Config, weights, backend), backend, tokenizer);
        }
        catch
        {
            backend.Dispose();
            checkpoint.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Backend.Dispose();
        Checkpoint.Dispose();
    }
}
