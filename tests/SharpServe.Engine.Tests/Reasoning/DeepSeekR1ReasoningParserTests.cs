using SharpServe.Engine.Reasoning;

namespace SharpServe.Engine.Tests.Reasoning;

public sealed class DeepSeekR1ReasoningParserTests
{
    public static TheoryData<string, string?, string?> Cases()
    {
        var data = new TheoryData<string, string?, string?>();
        foreach (var (text, reasoning, content) in DeepSeekR1ReasoningCases.Rows)
        {
            data.Add(text, reasoning, content);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SplitsReasoningFromContent(string text, string? reasoning, string? content)
    {
        Assert.Equal((reasoning, content), DeepSeekR1ReasoningParser.Parse(text));
    }
}
