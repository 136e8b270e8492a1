namespace SharpServe.Engine.Kernels;

/// <summary>
/// f32 values that live where a backend computes — a host array for the CPU backend, device memory for a GPU — allocated by
/// <see cref="IComputeBackend.Allocate"/>. The model addresses them only through <see cref="Activations"/> ranges.
/// </summary>
public abstract class ActivationBuffer : IDisposable
{
    public abstract int Length { get; }

    /// <summary>The values [offset, offset + length).</summary>
    public Activations Slice(int offset, int length)
    {
        if (offset < 0 || length < 0 || offset > Length - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"range [{offset}, +{length}) outside a buffer of {Length} values");
        }

        return new Activations(this, offset, length);
    }

    public abstract void Dispose();
}

/// <summary>A range of an <see cref="ActivationBuffer"/>: what the compute seam's operations read and write.</summary>
public readonly record struct Activations(ActivationBuffer Buffer, int Offset, int Length)
{
    public Activations Slice(int offset, int length) => Buffer.Slice(Offset + offset, length);
}

/// <summary>The CPU backend's activations: a managed array.</summary>
public sealed class HostActivations(int length) : ActivationBuffer
{
    public float[] Array { get; } = new float[length];

    public override int Length => Array.Length;

    public override void Dispose()
    {
    }
}
