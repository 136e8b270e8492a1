using System.CommandLine;
using System.Text.Json;
using SharpServe.Engine.Templates;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve chat-template</c>: renders the model's own chat template over a messages file.</summary>
internal static class ChatTemplateCommand
{
    public static Command Build()
    {
        var model = CommonOptions.Model();
        var messages = new Option<string>("--messages") { Description = "JSON file: an array of {role, content} messages", Required = true };
        var tools = new Option<string?>("--tools") { Description = "JSON file: an array of tool definitions" };
        var generationPrompt = new Option<bool>("--add-generation-prompt") { Description = "End with the assistant's turn opener" };
        var command = new Command("chat-template", "Print the prompt the model's chat template renders") { model, messages, tools, generationPrompt };
        command.SetAction(parse => CommonOptions.Run(() =>
        {
            var spec = TokenizerCommands.OpenSpec(parse.GetValue(model));
            string source = spec.ChatTemplate ?? throw new ArgumentException("this model has no chat template");
            string? toolsPath = parse.GetValue(tools);
            var context = new ChatTemplateContext
            {
                Messages = ReadList(parse.GetValue(messages)!, "messages"),
                Tools = toolsPath is null ? null : ReadList(toolsPath, "tools"),
                AddGenerationPrompt = parse.GetValue(generationPrompt),
                BosToken = spec.BosId is int bos ? spec.Tokens[bos] : null,
                EosToken = spec.EosId is int eos ? spec.Tokens[eos] : null,
            };
            Console.Write(ChatTemplate.Parse(source).Render(context));
            return 0;
        }));
        return command;
    }

    private static IReadOnlyList<IReadOnlyDictionary<string, object?>> ReadList(string path, string what)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return TemplateJson.ObjectList(document.RootElement, what);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{path}: invalid JSON: {e.Message}", e);
        }
    }
}
