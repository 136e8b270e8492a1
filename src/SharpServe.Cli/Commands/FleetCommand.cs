using System.CommandLine;
using SharpServe.Cli.Benchmarks;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve fleet</c>: several instances of a model on one device (issue 6); so far the planning and spec checks.</summary>
internal static class FleetCommand
{
    public static Command Build() => new("fleet", "Plan and check several instances of a model on one device")
    {
        FleetPlanCommand.Build(),
        FleetValidateCommand.Build(),
    };

    /// <summary>--device-memory: required, since a fleet is usually planned for a device other than this machine.</summary>
    public static Option<string> DeviceMemoryOption() => new("--device-memory")
    {
        Description = "Total memory of the device to plan for, e.g. 16GiB or 17179869184",
        Required = true,
    };

    public static long ReadDeviceMemory(ParseResult parse, Option<string> option)
    {
        string text = parse.GetValue(option)!;
        return ByteSize.TryParse(text, out long bytes) && bytes > 0
            ? bytes
            : throw new ArgumentException($"--device-memory: '{text}' is not a positive byte size (e.g. 16GiB)");
    }
}
