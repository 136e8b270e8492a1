using System.CommandLine;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve fleet plan</c>: the instance counts and fractions that fit a device, from the model's real sizes.</summary>
internal static class FleetPlanCommand
{
    public static Command Build()
    {
        var model = CommonOptions.Model();
        var deviceMemory = FleetCommand.DeviceMemoryOption();
        var maxModelLen = new Option<int?>("--max-model-len") { Description = "Longest sequence, prompt plus output (default: the model's max positions)" };
        var concurrency = new Option<int>("--concurrency") { Description = "Max-model-len sequences each instance must hold at once", DefaultValueFactory = _ => 1 };
        var kvCacheDType = new Option<string>("--kv-cache-dtype") { Description = $"KV-cache element type: {KvCacheDTypeExtensions.FlagValues}", DefaultValueFactory = _ => "auto" };
        var maxNumBatchedTokens = new Option<int>("--max-num-batched-tokens") { Description = "Tokens computed in one step; sizes the activations", DefaultValueFactory = _ => 2048 };
        var ceiling = new Option<double>("--ceiling") { Description = "Share of the device all instances together may use, in (0, 1]", DefaultValueFactory = _ => 0.9 };
        var maxInstances = new Option<int>("--max-instances") { Description = "Longest table to print", DefaultValueFactory = _ => 16 };
        var command = new Command("plan", "Print how many instances of a model fit a device, and each one's memory fraction")
        {
            model, deviceMemory, maxModelLen, concurrency, kvCacheDType, maxNumBatchedTokens, ceiling, maxInstances,
        };
        command.SetAction(parse => CommonOptions.Run(() =>
        {
            long device = FleetCommand.ReadDeviceMemory(parse, deviceMemory);
            int perInstance = Positive(parse, concurrency);
            int tableRows = Positive(parse, maxInstances);
            int batched = Positive(parse, maxNumBatchedTokens);
            double top = parse.GetValue(ceiling);
            if (top is not (> 0 and <= 1))
            {
                throw new ArgumentException($"--ceiling must be in (0, 1], got {top}");
            }

            KvCacheDType dtype = KvCacheDTypeExtensions.Parse(parse.GetValue(kvCacheDType)!);
            string path = CommonOptions.ResolveModel(parse.GetValue(model));

            // The config and the mapped tensors' lengths are all the plan needs; nothing is bound or computed.
            using ModelCheckpoint checkpoint = ModelLoader.Load(path);
            int length = parse.GetValue(maxModelLen) is { } given ? PositiveValue("--max-model-len", given) : checkpoint.Config.MaxPositionEmbeddings;
            var footprint = ModelFootprint.Of(checkpoint.Config, ModelMemory.WeightBytes(checkpoint), length, batched, dtype);
            FleetPlan plan = FleetPlanner.Plan(footprint, device, top, perInstance, tableRows);
            Console.Out.Write(FleetPlanReport.Format(path, plan, batched));
            return 0;
        }));
        return command;
    }

    private static int Positive(ParseResult parse, Option<int> option) => PositiveValue(option.Name, parse.GetValue(option));

    private static int PositiveValue(string name, int value) =>
        value > 0 ? value : throw new ArgumentException($"{name} must be a positive integer, got {value}");
}
