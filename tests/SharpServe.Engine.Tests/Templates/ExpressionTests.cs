namespace SharpServe.Engine.Tests.Templates;

/// <summary>The expression subset: literals, operators, tests, indexing and slicing, with Python output formatting.</summary>
public sealed class ExpressionTests
{
    [Theory]
    [InlineData("{{ 1 + 2 }}", "3")]
    [InlineData("{{ 2 * 3 - 1 }}", "5")]
    [InlineData("{{ 7 % 3 }}|{{ -7 % 3 }}", "1|2")]
    [InlineData("{{ 1.5 + 1 }}|{{ 2.0 }}", "2.5|2.0")]
    [InlineData("{{ 'a' ~ 1 ~ none }}", "a1None")]
    [InlineData("{{ 'ab' + 'cd' }}|{{ 'ab' * 2 }}", "abcd|abab")]
    [InlineData("{{ [1] + [2] }}", "[1, 2]")]
    [InlineData("{{ 1 < 2 }}|{{ 2 >= 3 }}|{{ 2 <= 2 }}|{{ 3 > 2.5 }}", "True|False|True|True")]
    [InlineData("{{ 'a' == 'a' }}|{{ 'a' != 'b' }}|{{ 1 == 1.0 }}|{{ none == none }}", "True|True|True|True")]
    [InlineData("{{ 'b' in 'abc' }}|{{ 3 not in [1, 2] }}|{{ 'k' in {'k': 1} }}|{{ 'z' in {'k': 1} }}", "True|True|True|False")]
    [InlineData("{{ 0 or 'x' }}|{{ 'a' and 'b' }}|{{ not 1 and 1 }}|{{ not (false or true) }}", "x|b|False|False")]
    [InlineData("{{ 'y' if 1 else 'n' }}|{{ 'y' if 0 else 'n' }}|{{ 'y' if 0 }}", "y|n|")]
    [InlineData("{{ [1, 2, 3][-1] }}|{{ [1, 2, 3][0] }}|{{ [1, 2][5] }}", "3|1|")]
    [InlineData("{{ 'abc'[::-1] }}|{{ [1, 2, 3, 4][1:3] }}|{{ 'hello'[1:] }}|{{ [1, 2, 3][:-1] }}|{{ [1, 2, 3, 4][::2] }}", "cba|[2, 3]|ello|[1, 2]|[1, 3]")]
    [InlineData("{{ {'a': 1}['a'] }}|{{ {'a': 1}.a }}|{{ {'a': 1}.b }}", "1|1|")]
    [InlineData("{{ none }}|{{ true }}|{{ [1, 'a', none] }}|{{ {'k': 'v'} }}", "None|True|[1, 'a', None]|{'k': 'v'}")]
    [InlineData("{{ 'it\\'s' }}|{{ \"a\\nb\" }}|{{ 'x' 'y' }}", "it's|a\nb|xy")]
    [InlineData("{{ messages|length - 1 }}", "2")]
    [InlineData("{{ -2|string }}|{{ -(2 + 1) }}|{{ 1 - -1 }}", "-2|-3|2")]
    [InlineData("{{ messages[0].role }}:{{ messages[0]['content'] }}:{{ messages[-1].role }}", "system:Be brief.:assistant")]
    public void EvaluatesExpressions(string template, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template));

    [Theory]
    [InlineData("{{ nothing is defined }}|{{ nothing is not defined }}|{{ messages is defined }}", "False|True|True")]
    [InlineData("{{ messages[2].content is none }}|{{ messages[0].content is not none }}", "True|True")]
    [InlineData("{{ 'a' is string }}|{{ 1 is string }}|{{ {} is mapping }}|{{ [] is mapping }}", "True|False|True|False")]
    [InlineData("{{ [1] is iterable }}|{{ 'a' is iterable }}|{{ 1 is iterable }}", "True|True|False")]
    [InlineData("{{ false is false }}|{{ 0 is false }}|{{ true is true }}|{{ 1 is number }}", "True|False|True|True")]
    [InlineData("{{ messages[0].missing is defined }}|{{ tools is defined }}", "False|False")]
    public void EvaluatesTests(string template, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template));

    [Fact]
    public void UndefinedValuesAreFalsyEmptyAndIterateAsEmpty()
    {
        Assert.Equal("[][no]", TemplateRendering.Render("[{{ nothing }}][{% for x in nothing %}x{% endfor %}{% if nothing %}yes{% else %}no{% endif %}]"));
    }

    [Fact]
    public void ToolsAreExposedWhenGiven()
    {
        var tools = new List<IReadOnlyDictionary<string, object?>> { new Dictionary<string, object?> { ["name"] = "f", ["n"] = 3 } };

        Assert.Equal("{\"name\": \"f\", \"n\": 3}", TemplateRendering.Render("{% for t in tools %}{{ t|tojson }}{% endfor %}", tools));
    }
}
