using System.CommandLine;
using System.Text.Json;
using SharpServe.Engine.KvCache;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve logits</c>: one JSON array of logits per prompt position, one per line.</summary>
internal static class LogitsCommand
{
    public static Command Build()
    {
        var model = CommonOptions.Model();
        var promptIds = CommonOptions.PromptIds();
        promptIds.Required = true;
        var output = new Option<string?>("--out") { Description = "Write to this file instead of stdout" };
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var command = new Command("logits", "Print the model's logits at every prompt position (JSON lines)") { model, promptIds, output, threads, device };
        command.SetAction(parse => CommonOptions.Run(() =>
        {
            int[] ids = CommonOptions.ParseIds(parse.GetValue(promptIds)!);
            // The device line goes to stderr after the logits, so a failure's stderr stays one error line.
            string deviceLine = "";
            using var loaded = CommonOptions.OpenOnDevice(
                CommonOptions.ResolveModel(parse.GetValue(model)), new ModelLoadOptions(), parse.GetValue(threads), parse.GetValue(device)!, description => deviceLine = $"Device: {description}");
            int blocks = (ids.Length + KvCachePool.DefaultBlockSize - 1) / KvCachePool.DefaultBlockSize;
            using var pool = new KvCachePool(loaded.Config, blocks, KvCachePool.DefaultBlockSize, KvCacheDType.Float32, loaded.Backend);
            var runner = new ModelRunner(loaded.Model, pool);
            float[] logits = runner.Step([new BatchEntry(new SequenceState(), ids)], allPositions: true);

            string? outPath = parse.GetValue(output);
            using Stream stream = outPath is null ? Console.OpenStandardOutput() : File.Create(outPath);
            WriteJsonLines(stream, logits, loaded.Config.VocabSize);
            Console.Error.WriteLine(deviceLine);
            return 0;
        }));
        return command;
    }

    private static void WriteJsonLines(Stream stream, float[] logits, int vocab)
    {
        for (int row = 0; row < logits.Length / vocab; row++)
        {
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartArray();
                foreach (float value in logits.AsSpan(row * vocab, vocab))
                {
                    json.WriteNumberValue(value); // shortest text that round-trips the float
                }

                json.WriteEndArray();
            }

            stream.WriteByte((byte)'\n');
        }
    }
}
