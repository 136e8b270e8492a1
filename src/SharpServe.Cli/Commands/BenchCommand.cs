using System.CommandLine;
using SharpServe.Cli.Benchmarks;
using SharpServe.Cli.Benchmarks.Serve;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;

namespace SharpServe.Cli.Commands;

/// <summary>
/// <c>sharpserve bench engine</c>: continuous-batching throughput and latency per concurrency level;
/// <c>sharpserve bench serve</c>: vLLM's serving benchmark against any OpenAI-compatible server.
/// </summary>
internal static class BenchCommand
{
    public static Command Build() => new("bench", "Benchmarks") { Engine(), Serve() };

    private static Command Engine()
    {
        var options = new BenchmarkOptions("the embedded tiny model, created on first use in the user cache");
        var command = new Command(
            "engine",
            "Closed-loop benchmark of the engine on random prompts (vLLM's random dataset): per concurrency level, output tokens/s, TTFT and inter-token latency");
        foreach (Option option in options.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CommonOptions.Run(() =>
        {
            BenchmarkSettings settings = options.Read(parse);
            string path = CommonOptions.ResolveModel(settings.Model);
            string device = "";
            using var model = settings.OpenModel(path, description => device = description);
            Console.Error.WriteLine($"Device: {device}");
            Console.Error.WriteLine($"weights: {ResidentWeights.Describe(model)}");
            var workload = BenchmarkWorkload.Create(RandomPrompts.OrdinaryIds(model), settings);
            using var target = EngineTarget.Create(model, settings, Console.Error.WriteLine);
            var levels = new List<LevelStatistics>();
            foreach (LevelWorkload level in workload)
            {
                levels.Add(BenchmarkRunner.RunLevelAsync(target, level).GetAwaiter().GetResult());
                Console.Error.WriteLine(LevelTable.Summary("sharpserve", levels[^1]));
            }

            Console.WriteLine($"sharpserve bench engine: {Path.GetFileName(path)}{(model.Checkpoint.Quantization is { } q ? $" ({q.Quantization.ToString().ToLowerInvariant()} at load)" : "")}{(model.Checkpoint.HeadTypes is { } heads ? $" ({string.Join(", ", heads.Converted.Select(pair => $"{pair.Key} {HeadTensorTypes.Name(pair.Value)}"))} at load)" : "")}, input {settings.InputLen}, output {settings.OutputLen}, {settings.NumPrompts} prompts per level, {device}");
            foreach (string line in LevelTable.Lines(levels))
            {
                Console.WriteLine(line);
            }

            if (settings.OutputJson is { } json)
            {
                BenchmarkJson.Write(json, settings, [new TargetReport("sharpserve", path, EngineTarget.Describe(settings, device), levels)]);
            }

            return 0;
        }));
        return command;
    }

    private static Command Serve()
    {
        var options = new ServeBenchOptions();
        var command = new Command(
            "serve",
            "Serving benchmark of any OpenAI-compatible server (SharpServe, vLLM, llama.cpp's server), as vllm bench serve: throughput, TTFT, TPOT, ITL and end-to-end latency");
        foreach (Option option in options.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CommonOptions.Run(() =>
            ServeBenchRun.RunAsync(options.Read(parse), Console.Out, Console.Error, CancellationToken.None).GetAwaiter().GetResult()));
        return command;
    }
}
