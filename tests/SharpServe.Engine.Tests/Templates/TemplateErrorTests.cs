using SharpServe.Engine.Templates;

namespace SharpServe.Engine.Tests.Templates;

/// <summary>Unsupported syntax and runtime errors fail with the template line, never with silently wrong output.</summary>
public sealed class TemplateErrorTests
{
    [Theory]
    [InlineData("{% macro m() %}x{% endmacro %}", 1, "macro")]
    [InlineData("a\nb\n{% include 'other.jinja' %}", 3, "include")]
    [InlineData("\n{% set x %}block{% endset %}", 2, "set")]
    [InlineData("{% for x in [1] if x %}{{ x }}{% endfor %}", 1, "loop filters")]
    [InlineData("{% if true %}\n{% for x in [1] %}\n{% endif %}", 3, "endif")]
    [InlineData("{% if true %}x", 1, "endif")]
    [InlineData("x\n{% endfor %}", 2, "endfor")]
    [InlineData("{{ (1, 2) }}", 1, "tuples")]
    [InlineData("{{ x is divisibleby(3) }}", 1, "tests with arguments")]
    [InlineData("\n\n{{ 'unterminated }}", 3, "unterminated string")]
    public void UnsupportedSyntaxFailsAtParseWithLine(string template, int line, string construct)
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(template));

        Assert.Equal(line, error.Line);
        Assert.Contains(construct, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"template line {line}: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\n{{ 'a'|capitalize }}", 2, "capitalize")]
    [InlineData("{{ 'a'.title() }}", 1, "title")]
    [InlineData("{{ cycler() }}", 1, "cycler")]
    [InlineData("\n\n{{ nothing.attr }}", 3, "undefined")]
    [InlineData("{{ 'a' + nothing }}", 1, "string and undefined")]
    [InlineData("{{ 'a' - 1 }}", 1, "unsupported operand")]
    [InlineData("{{ 'a' < 1 }}", 1, "cannot compare")]
    [InlineData("{% set x = 1 %}{% set x.y = 2 %}", 1, "namespace")]
    [InlineData("{{ 'a'|tojson(sort_keys=true) }}", 1, "indent")]
    [InlineData("{{ 'abc'.startswith('a', 'b') }}", 1, "at most 1")]
    public void RuntimeErrorsNameTheLine(string template, int line, string detail)
    {
        // Parsing succeeds: these are errors only evaluation can detect.
        _ = ChatTemplate.Parse(template);

        var error = Assert.Throws<TemplateException>(() => TemplateRendering.Render(template));

        Assert.Equal(line, error.Line);
        Assert.Contains(detail, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RaiseExceptionThrowsTheTemplatesMessage()
    {
        const string Template = "{% if messages[0].role == 'system' %}\n{{ raise_exception('System role not supported') }}\n{% endif %}";

        var error = Assert.Throws<TemplateException>(() => TemplateRendering.Render(Template));

        Assert.Equal(2, error.Line);
        Assert.Contains("System role not supported", error.Message, StringComparison.Ordinal);
    }
}
