using System.CommandLine;
using SharpServe.Fleet.Spec;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve fleet up SPEC</c>: runs the fleet a spec file describes until SIGTERM or Ctrl-C.</summary>
internal static class FleetUpCommand
{
    public static Command Build()
    {
        var spec = new Argument<string>("SPEC") { Description = "Fleet spec file (JSON, or YAML when it ends in .yaml or .yml)" };
        var logDir = new Option<string?>("--log-dir") { Description = "Folder of the instances' logs, instead of the spec's log_dir" };
        var device = FleetOptions.DeviceOption();
        var noShareWeights = FleetOptions.NoShareWeightsOption();
        var mps = FleetOptions.MpsOption();
        var command = new Command("up", "Start the instances of a fleet spec and keep them running until SIGTERM or Ctrl-C") { spec, logDir, device, noShareWeights, mps };
        command.SetAction(parse => CommonOptions.Run(() =>
        {
            string specPath = parse.GetValue(spec)!;
            FleetSpec fleet = FleetSpecReader.Read(specPath);
            if (parse.GetValue(logDir) is { } folder)
            {
                fleet = fleet with { LogDir = folder };
            }

            return FleetRun.Run(fleet, specPath, parse.GetValue(device)!, !parse.GetValue(noShareWeights), parse.GetValue(mps));
        }));
        return command;
    }
}
