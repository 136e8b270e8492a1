using System.CommandLine;
using System.Globalization;
using SharpServe.Fleet.Spec;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve fleet validate SPEC</c>: "ok" and the resolved instances, or every error in the spec.</summary>
internal static class FleetValidateCommand
{
    public static Command Build()
    {
        var spec = new Argument<string>("SPEC") { Description = "Fleet spec file (JSON)" };
        var deviceMemory = FleetCommand.DeviceMemoryOption();
        var command = new Command("validate", "Check a fleet spec against a device and print the instances it resolves to") { spec, deviceMemory };
        command.SetAction(parse => CommonOptions.Run(() =>
        {
            long device = FleetCommand.ReadDeviceMemory(parse, deviceMemory);
            string specPath = parse.GetValue(spec)!;
            FleetSpec fleet = FleetSpecReader.Parse(File.ReadAllText(specPath));

            // Loaded on first need only: a spec without a model still gets all its other errors listed.
            ModelCheckpoint? checkpoint = null;
            try
            {
                var validator = new FleetSpecValidator(device, engine =>
                {
                    checkpoint ??= ModelLoader.Load(CommonOptions.ResolveModel(ModelPath(fleet.Model!, specPath)));
                    return ModelFootprint.Of(
                        checkpoint.Config, ModelMemory.WeightBytes(checkpoint), engine.MaxModelLen ?? checkpoint.Config.MaxPositionEmbeddings, engine.MaxNumBatchedTokens, engine.KvCacheDType);
                });
                FleetValidation result = validator.Validate(fleet);
                foreach (string error in result.Errors)
                {
                    Console.Error.WriteLine($"error: {error}");
                }

                if (result.Errors.Count > 0)
                {
                    return 1;
                }

                Console.Out.Write(Report(fleet, result));
                return 0;
            }
            finally
            {
                checkpoint?.Dispose();
            }
        }));
        return command;
    }

    /// <summary>A relative model path means the spec's own folder, so a spec works from any working directory; repo ids pass through.</summary>
    private static string ModelPath(string model, string specPath)
    {
        string besideSpec = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(specPath))!, model);
        return File.Exists(besideSpec) || Directory.Exists(besideSpec) ? besideSpec : model;
    }

    private static string Report(FleetSpec fleet, FleetValidation result)
    {
        var lines = new List<string>
        {
            "ok",
            $"gateway {fleet.Gateway.Listen}, routing {fleet.Gateway.Routing}, {(fleet.Gateway.TlsCertificate is null ? "plain HTTP" : "HTTPS")}, " +
            $"{fleet.Gateway.ApiKeys.Count} API key(s), memory ceiling {fleet.MemoryCeiling.ToString(CultureInfo.InvariantCulture)}",
        };
        foreach (ResolvedInstance instance in result.Instances)
        {
            lines.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"instance {instance.Index}: port {instance.Port}, memory fraction {instance.MemoryFraction}, served as {string.Join(", ", instance.ServedModelNames)}, " +
                $"max_num_batched_tokens {instance.Engine.MaxNumBatchedTokens}, max_num_seqs {instance.Engine.MaxNumSeqs}; {instance.Plan!.LogMessage}"));
        }

        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }
}
