namespace SharpServe.Engine.Templates;

/// <summary>DeepSeek-R1's usage advice, applied around a chat template (see <see cref="ChatPrompt"/>).</summary>
public sealed class ChatPromptOptions
{
    /// <summary>
    /// Drop system messages and put their text at the start of the first user turn: the R1 authors advise no
    /// system prompt, with instructions in the user turn instead.
    /// </summary>
    public bool FoldSystemIntoUser { get; init; }

    /// <summary>
    /// With a generation prompt, make it end with "&lt;think&gt;\n" so the model cannot skip its reasoning. Newer
    /// distill templates already emit it; earlier ones do not.
    /// </summary>
    public bool ForceThinkPrefix { get; init; }
}
