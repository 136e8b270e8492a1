using System.Globalization;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using SharpServe.Engine.Cuda.Native;
using SharpServe.Engine.Models;

namespace SharpServe.Engine.Cuda.Sharing;

/// <summary>
/// An instance's side of shared weights: checks the manifest against this card, model and layout, opens the holder's arena
/// through its IPC handle and gives it to the backend, so this process allocates nothing for weights.
/// </summary>
public static class SharedWeightsImport
{
    /// <summary>Maps the arena <paramref name="manifestPath"/> describes into <paramref name="model"/>'s backend; returns the manifest.</summary>
    /// <exception cref="SharedWeightsException">The manifest does not fit this process, or the arena cannot be opened; the message says why.</exception>
    public static SharedWeightsManifest Import(LoadedModel model, string manifestPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Backend is not CudaBackend { Accelerator: CudaAccelerator accelerator } backend)
        {
            throw new SharedWeightsException($"--shared-weights maps weights held on a CUDA card, but this instance computes on {model.Backend.GetType().Name}: run it with --device cuda");
        }

        var manifest = SharedWeightsManifestFile.Read(manifestPath);
        var layout = WeightArenaLayout.Of(model.Weights);
        manifest.CheckMatches(CudaIpcApi.DeviceUuid(accelerator.DeviceId), SharedWeightsIdentity.Of(model.Checkpoint), layout);

        var handle = new IpcMemHandle();
        manifest.Handle.CopyTo((Span<byte>)handle);
        ImportedArenaBuffer buffer;
        try
        {
            buffer = ImportedArenaBuffer.Open(accelerator, handle, manifest.TotalBytes);
        }
        catch (InvalidOperationException e)
        {
            throw new SharedWeightsException(string.Create(
                CultureInfo.InvariantCulture, $"cannot open the weights that process {manifest.HolderPid} holds ({manifestPath}): {e.Message}; is the fleet that wrote it still running?"));
        }

        var arena = new WeightArena(buffer, layout);
        try
        {
            VerifyVectors(arena, accelerator);
            backend.UseWeightArena(arena);
            return manifest;
        }
        catch
        {
            arena.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads back every norm and bias (a few KiB a layer) and compares it with this process's own: the cheap proof that the
    /// handle opened the arena the manifest describes, before the instance serves from it.
    /// </summary>
    private static void VerifyVectors(WeightArena arena, CudaAccelerator accelerator)
    {
        var stream = accelerator.DefaultStream;
        foreach (var entry in arena.Layout.Entries.Where(e => e.Kind == WeightArenaKind.Vector && e.Bytes > 0))
        {
            byte[] device = new byte[entry.Bytes];
            arena.Bytes(entry).CopyToCPU(stream, device);
            stream.Synchronize();
            if (!arena.Layout.HostBytes(entry).SequenceEqual(device))
            {
                throw new SharedWeightsException($"the shared arena's {entry.Name} differs from this instance's copy of the model: the holder uploaded other weights");
            }
        }
    }
}
