using System.CommandLine;
using System.Text.Json;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Tokenization;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve tokenize</c> and <c>sharpserve detokenize</c>: the model's own tokenizer, without loading the weights for compute.</summary>
internal static class TokenizerCommands
{
    public static Command Tokenize()
    {
        var model = CommonOptions.Model();
        var text = new Option<string?>("--text") { Description = "Text to encode" };
        var file = new Option<string?>("--file") { Description = "Encode this file's UTF-8 text" };
        var noSpecial = new Option<bool>("--no-special-tokens") { Description = "Do not add the BOS token" };
        var command = new Command("tokenize", "Print the token ids of a text as a JSON array") { model, text, file, noSpecial };
        command.SetAction(parse => CommonOptions.Run(() =>
        {
            string? inline = parse.GetValue(text);
            string? path = parse.GetValue(file);
            if ((inline is null) == (path is null))
            {
                throw new ArgumentException("give exactly one of --text and --file");
            }

            var tokenizer = Open(parse.GetValue(model));
            int[] ids = tokenizer.Encode(inline ?? File.ReadAllText(path!), addSpecialTokens: !parse.GetValue(noSpecial));
            Console.WriteLine(JsonSerializer.Serialize(ids));
            return 0;
        }));
        return command;
    }

    public static Command Detokenize()
    {
        var model = CommonOptions.Model();
        var ids = new Option<string>("--ids") { Description = "Comma-separated token ids", Required = true };
        var skipSpecial = new Option<bool>("--skip-special-tokens") { Description = "Leave out special (control) tokens" };
        var command = new Command("detokenize", "Print the text of token ids") { model, ids, skipSpecial };
        command.SetAction(parse => CommonOptions.Run(() =>
        {
            int[] tokens = CommonOptions.ParseIds(parse.GetValue(ids)!);
            // An id outside the vocabulary is an ArgumentOutOfRangeException: one error line, exit code 1.
            Console.WriteLine(Open(parse.GetValue(model)).Decode(tokens, parse.GetValue(skipSpecial)));
            return 0;
        }));
        return command;
    }

    private static Qwen2Tokenizer Open(string? model) => new(OpenSpec(model));

    /// <summary>The tokenizer (and chat template) of --model, read without binding the weights.</summary>
    public static TokenizerSpec OpenSpec(string? model)
    {
        string path = CommonOptions.ResolveModel(model);
        using var checkpoint = ModelLoader.Load(path);
        return checkpoint.Tokenizer ?? throw new ArgumentException($"{path} has no tokenizer");
    }
}
