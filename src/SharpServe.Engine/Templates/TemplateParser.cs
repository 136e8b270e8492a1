using System.Globalization;

namespace SharpServe.Engine.Templates;

/// <summary>
/// Recursive-descent parser for the chat-template subset of Jinja, following Jinja's own precedence:
/// conditional &lt; or &lt; and &lt; not &lt; comparisons/in &lt; ~ &lt; + - &lt; * / % &lt; unary minus &lt;
/// postfix (. [] ()) followed by filters and "is" tests. Anything else is rejected with its line.
/// </summary>
internal sealed class TemplateParser
{
    private static readonly HashSet<string> ComparisonOperators = ["==", "!=", "<", ">", "<=", ">="];

    private readonly List<Token> _tokens;
    private int _pos;

    private TemplateParser(List<Token> tokens)
    {
        _tokens = tokens;
    }

    public static IReadOnlyList<Node> Parse(string source)
    {
        var parser = new TemplateParser(TemplateLexer.Tokenize(source));
        var body = parser.ParseBody(out string? stoppedAt);
        if (stoppedAt is not null)
        {
            throw new TemplateException(parser.Current.Line, $"unexpected '{{% {stoppedAt} %}}' without a matching opening tag");
        }

        return body;
    }

    private Token Current => _pos < _tokens.Count ? _tokens[_pos] : new Token(TokenKind.End, string.Empty, _tokens.Count > 0 ? _tokens[^1].Line : 1);

    // Parses nodes until end of input or a block keyword that closes/continues an enclosing block
    // (endif, elif, else, endfor), which is left for the caller to consume.
    private List<Node> ParseBody(out string? stoppedAt)
    {
        var nodes = new List<Node>();
        while (Current.Kind != TokenKind.End)
        {
            Token token = Current;
            switch (token.Kind)
            {
                case TokenKind.Text:
                    _pos++;
                    nodes.Add(new TextNode(token.Line, token.Value));
                    break;
                case TokenKind.OutputStart:
                    _pos++;
                    nodes.Add(new OutputNode(token.Line, ParseExpression()));
                    Expect(TokenKind.OutputEnd, "}}");
                    break;
                case TokenKind.StatementStart:
                    Token keyword = _tokens.ElementAtOrDefault(_pos + 1) ?? token;
                    if (keyword.Value is "endif" or "elif" or "else" or "endfor")
                    {
                        stoppedAt = keyword.Value;
                        return nodes;
                    }

                    _pos += 2;
                    nodes.Add(ParseStatement(keyword));
                    break;
                default:
                    throw new TemplateException(token.Line, $"unexpected '{token.Value}'");
            }
        }

        stoppedAt = null;
        return nodes;
    }

    private Node ParseStatement(Token keyword)
    {
        if (keyword.Kind != TokenKind.Name)
        {
            throw new TemplateException(keyword.Line, $"expected a tag name after '{{%', got '{keyword.Value}'");
        }

        return keyword.Value switch
        {
            "if" => ParseIf(keyword.Line),
            "for" => ParseFor(keyword.Line),
            "set" => ParseSet(keyword.Line),
            _ => throw new TemplateException(keyword.Line, $"unsupported tag '{{% {keyword.Value} %}}'"),
        };
    }

    private IfNode ParseIf(int line)
    {
        var branches = new List<(Expr, IReadOnlyList<Node>)>();
        Expr condition = ParseExpression();
        Expect(TokenKind.StatementEnd, "%}");
        while (true)
        {
            var body = ParseBody(out string? stoppedAt);
            branches.Add((condition, body));
            string closer = ConsumeBlockKeyword(stoppedAt, "if");
            if (closer == "endif")
            {
                Expect(TokenKind.StatementEnd, "%}");
                return new IfNode(line, branches, []);
            }

            if (closer == "else")
            {
                Expect(TokenKind.StatementEnd, "%}");
                var elseBody = ParseBody(out string? afterElse);
                if (ConsumeBlockKeyword(afterElse, "if") != "endif")
                {
                    throw new TemplateException(Current.Line, $"expected '{{% endif %}}', got '{{% {afterElse} %}}'");
                }

                Expect(TokenKind.StatementEnd, "%}");
                return new IfNode(line, branches, elseBody);
            }

            condition = ParseExpression();
            Expect(TokenKind.StatementEnd, "%}");
        }
    }

    private ForNode ParseFor(int line)
    {
        var targets = new List<string> { ExpectName() };
        while (TryOperator(","))
        {
            targets.Add(ExpectName());
        }

        if (!TryName("in"))
        {
            throw new TemplateException(Current.Line, $"expected 'in' in for loop, got '{Current.Value}'");
        }

        // Like Jinja, the iterable is parsed without a conditional so "for x in xs if c" is seen (and rejected) as a loop filter.
        Expr iterable = ParseOr();
        if (Current.Kind != TokenKind.StatementEnd)
        {
            throw new TemplateException(Current.Line, $"unsupported for-loop syntax at '{Current.Value}' (loop filters and recursive loops are not supported)");
        }

        _pos++;
        var body = ParseBody(out string? stoppedAt);
        string closer = ConsumeBlockKeyword(stoppedAt, "for");
        if (closer != "endfor")
        {
            throw new TemplateException(Current.Line, $"unsupported '{{% {closer} %}}' inside a for loop");
        }

        Expect(TokenKind.StatementEnd, "%}");
        return new ForNode(line, targets, iterable, body);
    }

    private SetNode ParseSet(int line)
    {
        string name = ExpectName();
        string? attribute = TryOperator(".") ? ExpectName() : null;
        if (!TryOperator("="))
        {
            throw new TemplateException(line, "unsupported set syntax (only 'set name = value' and 'set ns.attr = value')");
        }

        Expr value = ParseExpression();
        Expect(TokenKind.StatementEnd, "%}");
        return new SetNode(line, name, attribute, value);
    }

    private string ConsumeBlockKeyword(string? stoppedAt, string block)
    {
        if (stoppedAt is null)
        {
            throw new TemplateException(Current.Line, $"missing '{{% end{block} %}}'");
        }

        _pos += 2;
        return stoppedAt;
    }

    private Expr ParseExpression() => ParseConditional();

    private Expr ParseConditional()
    {
        Expr value = ParseOr();
        while (TryName("if"))
        {
            Expr condition = ParseOr();
            Expr? otherwise = TryName("else") ? ParseConditional() : null;
            value = new ConditionalExpr(value.Line, condition, value, otherwise);
        }

        return value;
    }

    private Expr ParseOr()
    {
        Expr left = ParseAnd();
        while (TryName("or"))
        {
            left = new BinaryExpr(left.Line, "or", left, ParseAnd());
        }

        return left;
    }

    private Expr ParseAnd()
    {
        Expr left = ParseNot();
        while (TryName("and"))
        {
            left = new BinaryExpr(left.Line, "and", left, ParseNot());
        }

        return left;
    }

    private Expr ParseNot()
    {
        int line = Current.Line;
        return TryName("not") ? new UnaryExpr(line, "not", ParseNot()) : ParseComparison();
    }

    private Expr ParseComparison()
    {
        Expr left = ParseConcat();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && ComparisonOperators.Contains(Current.Value))
            {
                string op = Current.Value;
                _pos++;
                left = new BinaryExpr(left.Line, op, left, ParseConcat());
            }
            else if (TryName("in"))
            {
                left = new BinaryExpr(left.Line, "in", left, ParseConcat());
            }
            else if (Current.Value == "not" && _tokens.ElementAtOrDefault(_pos + 1)?.Value == "in")
            {
                _pos += 2;
                left = new UnaryExpr(left.Line, "not", new BinaryExpr(left.Line, "in", left, ParseConcat()));
            }
            else
            {
                return left;
            }
        }
    }

    private Expr ParseConcat()
    {
        Expr left = ParseAdditive();
        while (TryOperator("~"))
        {
            left = new BinaryExpr(left.Line, "~", left, ParseAdditive());
        }

        return left;
    }

    private Expr ParseAdditive()
    {
        Expr left = ParseMultiplicative();
        while (Current.Kind == TokenKind.Operator && Current.Value is "+" or "-")
        {
            string op = Current.Value;
            _pos++;
            left = new BinaryExpr(left.Line, op, left, ParseMultiplicative());
        }

        return left;
    }

    private Expr ParseMultiplicative()
    {
        Expr left = ParseUnary();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            string op = Current.Value;
            _pos++;
            left = new BinaryExpr(left.Line, op, left, ParseUnary());
        }

        return left;
    }

    // As in Jinja, filters and tests bind to the negated value: "-1|abs" is "(-1)|abs".
    private Expr ParseUnary(bool withFilters = true)
    {
        int line = Current.Line;
        Expr operand = TryOperator("-") ? new UnaryExpr(line, "-", ParseUnary(withFilters: false)) : ParsePostfix(ParsePrimary());
        return withFilters ? ParseFiltersAndTests(operand) : operand;
    }

    private Expr ParsePostfix(Expr target)
    {
        while (true)
        {
            int line = Current.Line;
            if (TryOperator("."))
            {
                target = new AttributeExpr(line, target, ExpectName());
            }
            else if (TryOperator("["))
            {
                target = ParseSubscript(line, target);
            }
            else if (TryOperator("("))
            {
                target = new CallExpr(line, target, ParseArguments());
            }
            else
            {
                return target;
            }
        }
    }

    private Expr ParseSubscript(int line, Expr target)
    {
        Expr? start = IsOperator(":") ? null : ParseExpression();
        if (TryOperator("]"))
        {
            return new IndexExpr(line, target, start ?? throw new TemplateException(line, "empty subscript"));
        }

        Expect(TokenKind.Operator, ":");
        Expr? stop = IsOperator(":") || IsOperator("]") ? null : ParseExpression();
        Expr? step = null;
        if (TryOperator(":") && !IsOperator("]"))
        {
            step = ParseExpression();
        }

        Expect(TokenKind.Operator, "]");
        return new SliceExpr(line, target, start, stop, step);
    }

    private Expr ParseFiltersAndTests(Expr target)
    {
        while (true)
        {
            int line = Current.Line;
            if (TryOperator("|"))
            {
                string name = ExpectName();
                Arguments args = TryOperator("(") ? ParseArguments() : Arguments.None;
                target = new FilterExpr(line, target, name, args);
            }
            else if (TryName("is"))
            {
                bool negated = TryName("not");
                target = new TestExpr(line, target, ExpectName(), negated);
                if (IsOperator("("))
                {
                    throw new TemplateException(line, "tests with arguments are not supported");
                }
            }
            else
            {
                return target;
            }
        }
    }

    // After "(": positional arguments then name=value arguments, up to ")".
    private Arguments ParseArguments()
    {
        var positional = new List<Expr>();
        var named = new List<(string, Expr)>();
        while (!TryOperator(")"))
        {
            if (positional.Count + named.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
            }

            bool isNamed = Current.Kind == TokenKind.Name && _tokens.ElementAtOrDefault(_pos + 1) is { Kind: TokenKind.Operator, Value: "=" };
            if (isNamed)
            {
                string name = Current.Value;
                _pos += 2;
                named.Add((name, ParseExpression()));
            }
            else if (named.Count > 0)
            {
                throw new TemplateException(Current.Line, "positional argument after keyword argument");
            }
            else
            {
                positional.Add(ParseExpression());
            }
        }

        return new Arguments(positional, named);
    }

    private Expr ParsePrimary()
    {
        Token token = Current;
        _pos++;
        switch (token.Kind)
        {
            case TokenKind.String:
                string text = token.Value;

                // Adjacent string literals concatenate, as in Python and Jinja.
                while (Current.Kind == TokenKind.String)
                {
                    text += Current.Value;
                    _pos++;
                }

                return new LiteralExpr(token.Line, text);
            case TokenKind.Integer:
                return new LiteralExpr(token.Line, long.Parse(token.Value, CultureInfo.InvariantCulture));
            case TokenKind.Float:
                return new LiteralExpr(token.Line, double.Parse(token.Value, CultureInfo.InvariantCulture));
            case TokenKind.Name:
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpr(token.Line, true),
                    "false" or "False" => new LiteralExpr(token.Line, false),
                    "none" or "None" => new LiteralExpr(token.Line, null),
                    _ => new NameExpr(token.Line, token.Value),
                };
            case TokenKind.Operator when token.Value == "(":
                Expr inner = ParseExpression();
                if (IsOperator(","))
                {
                    throw new TemplateException(token.Line, "tuples are not supported");
                }

                Expect(TokenKind.Operator, ")");
                return inner;
            case TokenKind.Operator when token.Value == "[":
                var items = new List<Expr>();
                while (!TryOperator("]"))
                {
                    if (items.Count > 0)
                    {
                        Expect(TokenKind.Operator, ",");
                        if (TryOperator("]"))
                        {
                            break;
                        }
                    }

                    items.Add(ParseExpression());
                }

                return new ListExpr(token.Line, items);
            case TokenKind.Operator when token.Value == "{":
                var entries = new List<(Expr, Expr)>();
                while (!TryOperator("}"))
                {
                    if (entries.Count > 0)
                    {
                        Expect(TokenKind.Operator, ",");
                        if (TryOperator("}"))
                        {
                            break;
                        }
                    }

                    Expr key = ParseExpression();
                    Expect(TokenKind.Operator, ":");
                    entries.Add((key, ParseExpression()));
                }

                return new DictExpr(token.Line, entries);
            default:
                throw new TemplateException(token.Line, $"unexpected '{token.Value}' in expression");
        }
    }

    private bool IsOperator(string op) => Current.Kind == TokenKind.Operator && Current.Value == op;

    private bool TryOperator(string op)
    {
        if (!IsOperator(op))
        {
            return false;
        }

        _pos++;
        return true;
    }

    private bool TryName(string name)
    {
        if (Current.Kind != TokenKind.Name || Current.Value != name)
        {
            return false;
        }

        _pos++;
        return true;
    }

    private string ExpectName()
    {
        Token token = Current;
        if (token.Kind != TokenKind.Name)
        {
            throw new TemplateException(token.Line, $"expected a name, got '{token.Value}'");
        }

        _pos++;
        return token.Value;
    }

    private void Expect(TokenKind kind, string value)
    {
        Token token = Current;
        if (token.Kind != kind || token.Value != value)
        {
            throw new TemplateException(token.Line, $"expected '{value}', got '{(token.Kind == TokenKind.End ? "end of template" : token.Value)}'");
        }

        _pos++;
    }
}
