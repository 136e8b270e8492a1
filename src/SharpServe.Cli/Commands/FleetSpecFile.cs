using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Fleet.Spec;

namespace SharpServe.Cli.Commands;

/// <summary>A fleet spec file read and resolved against a device: what every <c>fleet</c> command that takes SPEC starts from.</summary>
internal sealed record FleetSpecFile(FleetSpec Spec, FleetValidation Validation)
{
    /// <summary>Reads SPEC and resolves it for a device of <paramref name="deviceTotalBytes"/>; errors are in <see cref="FleetValidation.Errors"/>.</summary>
    public static FleetSpecFile Load(string specPath, long deviceTotalBytes)
    {
        // The one place a spec file is parsed, so a change of format (e.g. YAML) lands in every command.
        FleetSpec fleet = FleetSpecReader.Parse(File.ReadAllText(specPath));

        // Loaded on first need only: a spec without a model still gets all its other errors listed.
        ModelCheckpoint? checkpoint = null;
        try
        {
            var validator = new FleetSpecValidator(deviceTotalBytes, engine =>
            {
                checkpoint ??= ModelLoader.Load(CommonOptions.ResolveModel(ModelPath(fleet.Model!, specPath)));
                return ModelFootprint.Of(
                    checkpoint.Config, ModelMemory.WeightBytes(checkpoint), engine.MaxModelLen ?? checkpoint.Config.MaxPositionEmbeddings, engine.MaxNumBatchedTokens, engine.KvCacheDType);
            });
            return new FleetSpecFile(fleet, validator.Validate(fleet));
        }
        finally
        {
            checkpoint?.Dispose();
        }
    }

    /// <summary>Prints every error as "error: ..." on stderr; true when there were any.</summary>
    public bool ReportErrors()
    {
        foreach (string error in Validation.Errors)
        {
            Console.Error.WriteLine($"error: {error}");
        }

        return Validation.Errors.Count > 0;
    }

    /// <summary>A relative model path means the spec's own folder, so a spec works from any working directory; repo ids pass through.</summary>
    private static string ModelPath(string model, string specPath)
    {
        string besideSpec = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(specPath))!, model);
        return File.Exists(besideSpec) || Directory.Exists(besideSpec) ? besideSpec : model;
    }
}
