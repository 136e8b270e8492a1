using System.Globalization;
using System.Text;

namespace SharpServe.Engine.Templates;

/// <summary>
/// Splits template source into text and tag tokens, applying Jinja whitespace control the way Hugging Face
/// configures it (trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False) plus the "-" markers.
/// </summary>
internal sealed class TemplateLexer
{
    private readonly string _source;
    private readonly List<Token> _tokens = [];
    private int _pos;
    private int _line = 1;

    // Set by a closing "-}}"/"-%}" (strip all following whitespace) or by trim_blocks (drop one newline).
    private bool _stripNextText;
    private bool _trimNextNewline;

    private TemplateLexer(string source)
    {
        // Jinja normalizes \r\n and \r to \n (newline_sequence), then, with keep_trailing_newline=False,
        // drops a single trailing newline of the source.
        string normalized = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        _source = normalized.EndsWith('\n') ? normalized[..^1] : normalized;
    }

    public static List<Token> Tokenize(string source)
    {
        var lexer = new TemplateLexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    private void Run()
    {
        while (_pos < _source.Length)
        {
            int tagStart = FindNextTag(_pos);
            int textEnd = tagStart < 0 ? _source.Length : tagStart;
            EmitText(_source[_pos..textEnd]);
            Advance(textEnd);
            if (tagStart < 0)
            {
                break;
            }

            char kind = _source[tagStart + 1];
            bool stripBefore = tagStart + 2 < _source.Length && _source[tagStart + 2] == '-';
            bool keepIndent = tagStart + 2 < _source.Length && _source[tagStart + 2] == '+';
            if (stripBefore)
            {
                TrimPreviousText(static t => t.TrimEnd());
            }
            else if (kind != '{' && !keepIndent && IsOnlyIndentBefore(tagStart))
            {
                // lstrip_blocks: a block or comment tag alone at the start of a line takes its indentation with it.
                TrimPreviousText(static t => t.TrimEnd(' ', '\t'));
            }

            int bodyStart = tagStart + 2 + (stripBefore || keepIndent ? 1 : 0);
            if (kind == '#')
            {
                LexComment(tagStart, bodyStart);
            }
            else
            {
                LexTag(kind == '{', bodyStart);
            }
        }
    }

    private int FindNextTag(int from)
    {
        for (int i = _source.IndexOf('{', from); i >= 0 && i + 1 < _source.Length; i = _source.IndexOf('{', i + 1))
        {
            char next = _source[i + 1];
            if (next is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    private bool IsOnlyIndentBefore(int tagStart)
    {
        int i = tagStart - 1;
        while (i >= 0 && _source[i] is ' ' or '\t')
        {
            i--;
        }

        return i < 0 || _source[i] == '\n';
    }

    private void EmitText(string text)
    {
        if (_stripNextText)
        {
            text = text.TrimStart();
        }
        else if (_trimNextNewline && text.StartsWith('\n'))
        {
            text = text[1..];
        }

        _stripNextText = false;
        _trimNextNewline = false;
        if (text.Length > 0)
        {
            _tokens.Add(new Token(TokenKind.Text, text, _line));
        }
    }

    private void TrimPreviousText(Func<string, string> trim)
    {
        if (_tokens.Count > 0 && _tokens[^1] is { Kind: TokenKind.Text } last)
        {
            string trimmed = trim(last.Value);
            if (trimmed.Length == 0)
            {
                _tokens.RemoveAt(_tokens.Count - 1);
            }
            else
            {
                _tokens[^1] = last with { Value = trimmed };
            }
        }
    }

    private void LexComment(int tagStart, int bodyStart)
    {
        int end = _source.IndexOf("#}", bodyStart, StringComparison.Ordinal);
        if (end < 0)
        {
            throw new TemplateException(_line, "unterminated comment '{#'");
        }

        bool stripAfter = end > tagStart + 2 && _source[end - 1] == '-';
        Advance(end + 2);
        SetTrailingWhitespaceRule(stripAfter, isBlock: true);
    }

    private void LexTag(bool isOutput, int bodyStart)
    {
        int startLine = _line;
        _tokens.Add(new Token(isOutput ? TokenKind.OutputStart : TokenKind.StatementStart, isOutput ? "{{" : "{%", _line));
        Advance(bodyStart);
        char closer = isOutput ? '}' : '%';
        int braceDepth = 0;
        while (true)
        {
            SkipWhitespace();
            if (_pos >= _source.Length)
            {
                throw new TemplateException(startLine, $"unterminated tag '{(isOutput ? "{{" : "{%")}'");
            }

            char c = _source[_pos];
            bool stripAfter = c == '-' && Peek(1) == closer && Peek(2) == '}';
            if (stripAfter || (c == closer && Peek(1) == '}' && (closer == '%' || braceDepth == 0)))
            {
                _tokens.Add(new Token(isOutput ? TokenKind.OutputEnd : TokenKind.StatementEnd, isOutput ? "}}" : "%}", _line));
                Advance(_pos + (stripAfter ? 3 : 2));
                SetTrailingWhitespaceRule(stripAfter, isBlock: !isOutput);
                return;
            }

            braceDepth += c == '{' ? 1 : c == '}' ? -1 : 0;
            LexExpressionToken();
        }
    }

    private void SetTrailingWhitespaceRule(bool stripAfter, bool isBlock)
    {
        _stripNextText = stripAfter;

        // trim_blocks: the first newline after a block or comment tag is removed.
        _trimNextNewline = !stripAfter && isBlock;
    }

    private void LexExpressionToken()
    {
        char c = _source[_pos];
        int start = _pos;
        if (char.IsLetter(c) || c == '_')
        {
            while (_pos < _source.Length && (char.IsLetterOrDigit(_source[_pos]) || _source[_pos] == '_'))
            {
                _pos++;
            }

            _tokens.Add(new Token(TokenKind.Name, _source[start.._pos], _line));
        }
        else if (char.IsAsciiDigit(c))
        {
            LexNumber();
        }
        else if (c is '\'' or '"')
        {
            LexString(c);
        }
        else
        {
            string op = Peek(1) == '=' && c is '=' or '!' or '<' or '>' ? _source.Substring(_pos, 2)
                : Peek(1) == c && c is '/' or '*' ? _source.Substring(_pos, 2)
                : "()[]{}.,:|+-*/%~<>=".Contains(c, StringComparison.Ordinal) ? c.ToString()
                : throw new TemplateException(_line, $"unexpected character '{c}' in tag");
            _pos += op.Length;
            _tokens.Add(new Token(TokenKind.Operator, op, _line));
        }
    }

    private void LexNumber()
    {
        int start = _pos;
        while (_pos < _source.Length && (char.IsAsciiDigit(_source[_pos]) || _source[_pos] == '_'))
        {
            _pos++;
        }

        bool isFloat = _pos + 1 < _source.Length && _source[_pos] == '.' && char.IsAsciiDigit(_source[_pos + 1]);
        if (isFloat)
        {
            _pos++;
            while (_pos < _source.Length && char.IsAsciiDigit(_source[_pos]))
            {
                _pos++;
            }
        }

        string text = _source[start.._pos].Replace("_", string.Empty, StringComparison.Ordinal);
        _tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, text, _line));
    }

    // Python string-literal escapes, which is what Jinja applies to its string constants.
    private void LexString(char quote)
    {
        int line = _line;
        var sb = new StringBuilder();
        _pos++;
        while (true)
        {
            if (_pos >= _source.Length)
            {
                throw new TemplateException(line, "unterminated string literal");
            }

            char c = _source[_pos++];
            if (c == quote)
            {
                break;
            }

            if (c == '\n')
            {
                _line++;
            }

            if (c != '\\' || _pos >= _source.Length)
            {
                sb.Append(c);
                continue;
            }

            char e = _source[_pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case '0': sb.Append('\0'); break;
                case '\\' or '\'' or '"': sb.Append(e); break;
                case '\n': _line++; break;
                case 'u' when _pos + 4 <= _source.Length:
                    sb.Append((char)int.Parse(_source.AsSpan(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    _pos += 4;
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }

        _tokens.Add(new Token(TokenKind.String, sb.ToString(), line));
    }

    private void SkipWhitespace()
    {
        while (_pos < _source.Length && char.IsWhiteSpace(_source[_pos]))
        {
            if (_source[_pos] == '\n')
            {
                _line++;
            }

            _pos++;
        }
    }

    private char Peek(int offset) => _pos + offset < _source.Length ? _source[_pos + offset] : '\0';

    // Moves to an absolute position, counting the newlines passed so tokens carry their source line.
    private void Advance(int to)
    {
        for (int i = _pos; i < to; i++)
        {
            if (_source[i] == '\n')
            {
                _line++;
            }
        }

        _pos = to;
    }
}
