using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Fleet.Spec;

namespace SharpServe.Cli.Commands;

/// <summary>Validates a fleet spec against a device, sizing instances from the real model file; shared by validate, up and the flags.</summary>
internal static class FleetSpecCheck
{
    /// <summary>The model is loaded on first need only: a spec without a model still gets all its other errors listed.</summary>
    /// <param name="weightsShared">One copy of the weights is held for all instances (see <see cref="FleetSpecValidator"/>).</param>
    public static FleetValidation Validate(FleetSpec fleet, string? specPath, long deviceBytes, bool weightsShared = false)
    {
        ModelCheckpoint? checkpoint = null;
        try
        {
            var validator = new FleetSpecValidator(deviceBytes, engine =>
            {
                checkpoint ??= ModelLoader.Load(CommonOptions.ResolveModel(ModelPath(fleet.Model!, specPath)));
                long weightBytes = engine.Quantization == WeightQuantization.Int8 ? QuantizedWeightCache.Int8WeightBytes(checkpoint)
                    : engine.LoadOptions.ConvertsHeads ? QuantizedWeightCache.HeadTypesWeightBytes(checkpoint, engine.TokenEmbeddingType, engine.OutputTensorType)
                    : ModelMemory.WeightBytes(checkpoint);
                return ModelFootprint.Of(
                    checkpoint.Config, weightBytes, engine.MaxModelLen ?? checkpoint.Config.MaxPositionEmbeddings, engine.MaxNumBatchedTokens, engine.KvCacheDType);
            }, weightsShared);
            return validator.Validate(fleet);
        }
        finally
        {
            checkpoint?.Dispose();
        }
    }

    /// <summary>Prints every error to stderr; true when there were none.</summary>
    public static bool Report(FleetValidation result)
    {
        foreach (string error in result.Errors)
        {
            Console.Error.WriteLine($"error: {error}");
        }

        return result.Errors.Count == 0;
    }

    /// <summary>A file the spec names (TLS certificate or key), relative to the spec's folder; from flags (no spec file), relative to the working directory.</summary>
    public static string? BesideSpec(string? path, string? specPath) => path is null ? null
        : specPath is null ? Path.GetFullPath(path)
        : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(specPath))!, path));

    /// <summary>A relative model path means the spec's own folder, so a spec works from any working directory; repo ids pass through.</summary>
    public static string ModelPath(string model, string? specPath)
    {
        if (specPath is null)
        {
            return model;
        }

        string besideSpec = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(specPath))!, model);
        return File.Exists(besideSpec) || Directory.Exists(besideSpec) ? besideSpec : model;
    }
}
