using SharpServe.Engine.Models;
using SharpServe.Engine.Scheduling;
using SharpServe.Engine.Templates;
using SharpServe.Engine.Tokenization;
using SharpServe.Server.Chat;
using SharpServe.Server.Errors;

namespace SharpServe.Server.Hosting;

/// <summary>
/// The one model this server answers for: its engine, the names clients may call it by, and its context length.
/// </summary>
public sealed class ServedModel
{
    private readonly Lazy<ChatPromptBuilder> _chatPrompts;

    public ServedModel(LoadedModel model, LlmEngine engine, IReadOnlyList<string> names, int maxModelLen)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfZero(names.Count);
        Model = model;
        Engine = engine;
        Names = names;
        MaxModelLen = maxModelLen;

        // vLLM renders the template as written: the R1 advice (forced <think>) is left to the template.
        _chatPrompts = new(() => new ChatPromptBuilder(Tokenizer.Spec, new ChatPromptOptions()));
    }

    public LoadedModel Model { get; }

    public LlmEngine Engine { get; }

    public IReadOnlyList<string> Names { get; }

    public int MaxModelLen { get; }

    public Qwen2Tokenizer Tokenizer => Model.Tokenizer ?? throw ApiException.BadRequest("this model has no tokenizer: send token ids");

    public ChatPromptBuilder ChatPrompts => _chatPrompts.Value;

    /// <summary>The name to answer with: the requested one when it is served (absent means the first), else a 404.</summary>
    public string ResolveName(string? requested) =>
        requested is null ? Names[0]
        : Names.Contains(requested) ? requested
        : throw ApiException.NotFound($"The model `{requested}` does not exist.", "model");
}
