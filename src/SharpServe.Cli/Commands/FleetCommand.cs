using System.CommandLine;
using SharpServe.Cli.Benchmarks;
using SharpServe.Engine.Creation;
using SharpServe.Fleet.Spec;

namespace SharpServe.Cli.Commands;

/// <summary>
/// <c>sharpserve fleet [flags]</c>: several instances of a model on one device (issue 6), from flags;
/// <c>fleet up SPEC</c> does the same from a spec file, <c>plan</c> and <c>validate</c> check before running.
/// </summary>
internal static class FleetCommand
{
    public static Command Build()
    {
        var options = new FleetOptions();
        var command = new Command("fleet", "Run several instances of a model on one device (default: 2 of the embedded model), or plan, check and front them with nginx")
        {
            FleetPlanCommand.Build(),
            FleetValidateCommand.Build(),
            FleetUpCommand.Build(),
            FleetNginxConfigCommand.Build(),
        };
        foreach (Option option in options.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CommonOptions.Run(() =>
        {
            FleetFlags flags = options.Read(parse, () => DefaultModel.Ensure(message => Console.Error.WriteLine(message)));
            return FleetRun.Run(flags.ToSpec(), specPath: null, parse.GetValue(options.Device)!, !parse.GetValue(options.NoShareWeights), parse.GetValue(options.Mps));
        }));
        return command;
    }

    /// <summary>--device-memory: required where a fleet is planned for a device other than this machine (plan, validate).</summary>
    public static Option<string> DeviceMemoryOption(bool required = true) => new("--device-memory")
    {
        Description = required ? "Total memory of the device to plan for, e.g. 16GiB or 17179869184" : "Total memory of the device, e.g. 16GiB (default: this machine's)",
        Required = required,
    };

    public static long ReadDeviceMemory(ParseResult parse, Option<string> option)
    {
        string text = parse.GetValue(option)!;
        return ByteSize.TryParse(text, out long bytes) && bytes > 0
            ? bytes
            : throw new ArgumentException($"--device-memory: '{text}' is not a positive byte size (e.g. 16GiB)");
    }
}
