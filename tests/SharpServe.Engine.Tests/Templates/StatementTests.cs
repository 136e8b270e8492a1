namespace SharpServe.Engine.Tests.Templates;

/// <summary>Statements, scoping and whitespace control as Hugging Face configures Jinja (trim_blocks, lstrip_blocks).</summary>
public sealed class StatementTests
{
    [Theory]
    [InlineData("{% if 0 %}a{% elif 1 %}b{% else %}c{% endif %}", "b")]
    [InlineData("{% if 0 %}a{% elif 0 %}b{% else %}c{% endif %}", "c")]
    [InlineData("{% if 1 %}{% if 0 %}x{% else %}y{% endif %}{% endif %}", "y")]
    [InlineData("{% for x in ['a', 'b', 'c'] %}{{ x }}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}", "a10TrueFalse3|b21FalseFalse3|c32FalseTrue3|")]
    [InlineData("{% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %}", "aus")]
    [InlineData("{% for x in [[1, 2], [3, 4]] %}{% for y in x %}{{ loop.index }}{{ y }}{% endfor %};{% endfor %}", "1122;1324;")]
    [InlineData("{% set x = 1 %}{% for i in [1, 2] %}{% set x = i %}{% endfor %}{{ x }}", "1")]
    [InlineData("{% set ns = namespace(x=1, y='a') %}{% for i in [1, 2] %}{% set ns.x = i %}{% endfor %}{{ ns.x }}{{ ns.y }}", "2a")]
    [InlineData("{% if true %}{% set x = 'set in if' %}{% endif %}{{ x }}", "set in if")]
    [InlineData("{% set xs = [1, 2] + [3] %}{{ xs|length }}", "3")]
    [InlineData("{{ bos_token }}{{ eos_token }}{{ add_generation_prompt }}", "<s></s>True")]
    public void ExecutesStatements(string template, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template));

    [Theory]
    [InlineData("a  {%- if true -%}  b  {%- endif -%}  c", "abc")]
    [InlineData("a \n {{- 'b' -}} \n c", "abc")]
    [InlineData("{% if true %}\nA\n{% endif %}\nB", "A\nB")]
    [InlineData("  {% if true %}\n    x\n  {% endif %}\ny", "    x\ny")]
    [InlineData("  {{ 'x' }}\n", "  x")]
    [InlineData("a {# note #} b|{#- note -#} c", "a  b|c")]
    [InlineData("{# note #}\nA", "A")]
    [InlineData("x {% if true %}y{% endif %}", "x y")]
    [InlineData("  {%+ if true %}y{% endif %}", "  y")]
    [InlineData("a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n", "a\nb\n")]
    [InlineData("x\n\n", "x\n")]
    public void AppliesWhitespaceControl(string template, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template));
}
