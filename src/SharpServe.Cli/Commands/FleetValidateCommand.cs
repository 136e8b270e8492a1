using System.CommandLine;
using System.Globalization;
using SharpServe.Fleet.Spec;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve fleet validate SPEC</c>: "ok" and the resolved instances, or every error in the spec.</summary>
internal static class FleetValidateCommand
{
    public static Command Build()
    {
        var spec = new Argument<string>("SPEC") { Description = "Fleet spec file (JSON, or YAML when it ends in .yaml or .yml)" };
        var deviceMemory = FleetCommand.DeviceMemoryOption();
        var command = new Command("validate", "Check a fleet spec against a device and print the instances it resolves to") { spec, deviceMemory };
        command.SetAction(parse => CommonOptions.Run(() =>
        {
            long device = FleetCommand.ReadDeviceMemory(parse, deviceMemory);
            string specPath = parse.GetValue(spec)!;
            FleetSpec fleet = FleetSpecReader.Read(specPath);
            FleetValidation result = FleetSpecCheck.Validate(fleet, specPath, device);
            if (!FleetSpecCheck.Report(result))
            {
                return 1;
            }

            Console.Out.Write(Report(fleet, result));
            return 0;
        }));
        return command;
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
                $"max_num_batched_tokens {instance.Engine.MaxNumBatchedTokens}, max_num_seqs {instance.Engine.MaxNumSeqs}, max_queue {instance.Engine.MaxQueue}; {instance.Plan!.LogMessage}"));
        }

        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }
}
