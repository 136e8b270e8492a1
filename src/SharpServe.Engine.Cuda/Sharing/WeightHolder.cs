using ILGPU;
using ILGPU.Runtime.Cuda;
using SharpServe.Engine.Cuda.Native;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;

namespace SharpServe.Engine.Cuda.Sharing;

/// <summary>
/// The process that holds a model's weights on card 0 for the instances there (a fleet's parent, which outlives instance
/// crashes and restarts): it uploads them into one arena, exports the arena's CUDA IPC handle and publishes the manifest.
/// The memory stays allocated until this is disposed, which also removes the manifest so no instance maps a freed arena.
/// </summary>
public sealed class WeightHolder : IDisposable
{
    private readonly ModelCheckpoint _checkpoint;
    private readonly Context _context;
    private readonly CudaAccelerator _accelerator;
    private readonly WeightArena _arena;

    private WeightHolder(ModelCheckpoint checkpoint, Context context, CudaAccelerator accelerator, WeightArena arena, string manifestPath, SharedWeightsManifest manifest)
    {
        _checkpoint = checkpoint;
        _context = context;
        _accelerator = accelerator;
        _arena = arena;
        ManifestPath = manifestPath;
        Manifest = manifest;
    }

    public string ManifestPath { get; }

    public SharedWeightsManifest Manifest { get; }

    /// <summary>
    /// Uploads <paramref name="checkpoint"/>'s bound weights to card 0 and writes the manifest to <paramref name="manifestPath"/>.
    /// Takes ownership of the checkpoint: the layout refers to its mapped tensors.
    /// </summary>
    public static WeightHolder Start(ModelCheckpoint checkpoint, string manifestPath)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var context = DeviceContext.CreateCuda();
        CudaAccelerator? accelerator = null;
        WeightArena? arena = null;
        try
        {
            var layout = WeightArenaLayout.Of(Qwen2WeightBinder.Bind(checkpoint));
            accelerator = context.CreateCudaAccelerator(0);
            arena = WeightArena.Upload(accelerator, layout);
            accelerator.Synchronize();
            byte[] handle;
            using (accelerator.BindScoped())
            {
                var exported = CudaIpcApi.GetMemHandle(arena.Buffer.NativePtr);
                handle = ((ReadOnlySpan<byte>)exported).ToArray();
            }

            var manifest = new SharedWeightsManifest
            {
                Version = SharedWeightsManifest.CurrentVersion,
                Card = CudaIpcApi.DeviceUuid(accelerator.DeviceId),
                Model = Path.GetFullPath(checkpoint.Path),
                ModelIdentity = SharedWeightsIdentity.Of(checkpoint),
                HolderPid = Environment.ProcessId,
                TotalBytes = layout.TotalBytes,
                Handle = handle,
                Entries = layout.Entries,
            };
            string path = Path.GetFullPath(manifestPath);
            SharedWeightsManifestFile.Write(path, manifest);
            return new WeightHolder(checkpoint, context, accelerator, arena, path, manifest);
        }
        catch
        {
            arena?.Dispose();
            accelerator?.Dispose();
            context.Dispose();
            checkpoint.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        File.Delete(ManifestPath);
        _arena.Dispose();
        _accelerator.Dispose();
        _context.Dispose();
        _checkpoint.Dispose();
    }
}
