namespace SharpServe.Engine.Kernels.Threading;

/// <summary>A kernel split into independent parts; <see cref="WorkerPool"/> runs each part exactly once.</summary>
public interface IParallelWork
{
    /// <summary>Runs one part. <paramref name="worker"/> (0 = the calling thread) indexes per-thread scratch.</summary>
    void Execute(int part, int worker);
}
