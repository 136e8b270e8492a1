namespace SharpServe.Engine.Tests.Templates;

/// <summary>Filters and Python str/dict methods used by chat templates.</summary>
public sealed class FilterAndMethodTests
{
    [Theory]
    [InlineData("[{{ messages[1].content|trim }}]", "[Hi there]")]
    [InlineData("{{ 'abc'|length }}|{{ [1, 2]|length }}|{{ {'a': 1}|length }}|{{ nothing|length }}", "3|2|1|0")]
    [InlineData("{{ 5|string + 'x' }}|{{ 'AbC'|lower }}|{{ 'AbC'|upper }}", "5x|abc|ABC")]
    [InlineData("{{ 'a-b-c'|replace('-', '+') }}", "a+b+c")]
    [InlineData("{{ ['a', 'b']|join(', ') }}|{{ [1, 2]|join }}", "a, b|12")]
    [InlineData("{{ nothing|default('d') }}|{{ ''|default('d') }}|{{ ''|default('d', true) }}", "d||d")]
    [InlineData("{{ [1, 2, 3]|first }}|{{ [1, 2, 3]|last }}|{{ 'ab'|list }}", "1|3|['a', 'b']")]
    [InlineData("{{ messages[1].content|trim|upper }}", "HI THERE")]
    public void AppliesFilters(string template, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template));

    [Theory]
    [InlineData("{{ {'a': [1, 'é', none, true, 1.5], 'q': 'say \"hi\"\\n'}|tojson }}", "{\"a\": [1, \"é\", null, true, 1.5], \"q\": \"say \\\"hi\\\"\\n\"}")]
    [InlineData("{{ {'a': [1, 2], 'b': {}, 'c': []}|tojson(indent=2) }}", "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": []\n}")]
    [InlineData("{{ 'x'|tojson }}|{{ none|tojson }}|{{ 3|tojson }}", "\"x\"|null|3")]
    public void ToJsonMatchesPythonJsonDumps(string template, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template));

    [Theory]
    [InlineData("{{ 'a</think>b</think>c'.split('</think>')[-1] }}|{{ ' a  b '.split() }}|{{ 'a,b,c'.split(',', 1) }}", "c|['a', 'b']|['a', 'b,c']")]
    [InlineData("[{{ '  x  '.strip() }}][{{ '\\nx\\n'.lstrip('\\n') }}][{{ 'xyy'.rstrip('y') }}][{{ '--x--'.strip('-') }}]", "[x][x\n][x][x]")]
    [InlineData("{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith('bc') }}|{{ 'abc'.startswith('c') }}", "True|True|False")]
    [InlineData("{{ 'Ab'.upper() }}|{{ 'Ab'.lower() }}", "AB|ab")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    [InlineData("{{ {'a': 1}.get('a') }}|{{ {'a': 1}.get('z') }}|{{ {'a': 1}.get('z', 7) }}", "1|None|7")]
    [InlineData("{{ {'a': 1, 'b': 2}.keys()|list }}|{{ {'a': 1, 'b': 2}.values()|list }}", "['a', 'b']|[1, 2]")]
    public void CallsMethods(string template, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template));
}
