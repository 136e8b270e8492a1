namespace SharpServe.Engine.Tests.Reasoning;

/// <summary>Whole completions with the reasoning / content vLLM's deepseek_r1 parser gives them.</summary>
internal static class DeepSeekR1ReasoningCases
{
    public static IReadOnlyList<(string Text, string? Reasoning, string? Content)> Rows { get; } =
    [
        ("", "", null),
        ("just thinking", "just thinking", null),
        ("step 1</think>answer", "step 1", "answer"),
        ("<think>step 1</think>answer", "step 1", "answer"),
        ("<think>\nstep 1\n</think>\n\nanswer", "\nstep 1\n", "\n\nanswer"),
        ("<think>only reasoning", "only reasoning", null),
        ("<think>", "", null),
        ("<thi", "<thi", null),
        ("<think></think>", "", null),
        ("</think>", "", null),
        ("</think>answer", "", "answer"),
        ("done</think>", "done", null),
        ("a</think>b</think>c", "a", "b</think>c"),
        ("a</think>b<think>c", "a", "b<think>c"),
        ("<think><think>x</think>y", "<think>x", "y"),
        ("pre<think>x</think>y", "pre<think>x", "y"),
        (" <think>x</think>y", " <think>x", "y"),
        ("a </thin k> b", "a </thin k> b", null),
        ("a </ b </t</think>c", "a </ b </t", "c"),
        ("<</think>>", "<", ">"),
        ("<thinker>x</think>y", "<thinker>x", "y"),
        ("思考 🤔</think>答案 ✅", "思考 🤔", "答案 ✅"),
    ];
}
