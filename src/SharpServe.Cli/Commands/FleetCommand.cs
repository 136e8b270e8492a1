using System.CommandLine;
using SharpServe.Cli.Benchmarks;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve fleet</c>: several instances of a model on one device (issue 6); so far the planning, the spec checks and the nginx config.</summary>
internal static class FleetCommand
{
    public static Command Build() => new("fleet", "Plan, check and front with nginx several instances of a model on one device")
    {
        FleetPlanCommand.Build(),
        FleetValidateCommand.Build(),
        FleetNginxConfigCommand.Build(),
    };

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
