namespace SharpServe.Engine.Templates;

internal enum TokenKind
{
    /// <summary>Literal text between tags, already trimmed per whitespace control.</summary>
    Text,

    /// <summary>"{{"</summary>
    OutputStart,

    /// <summary>"}}"</summary>
    OutputEnd,

    /// <summary>"{%"</summary>
    StatementStart,

    /// <summary>"%}"</summary>
    StatementEnd,
    Name,
    String,
    Integer,
    Float,

    /// <summary>Punctuation and operators: ( ) [ ] { } . , : | + - * / % ~ == != &lt; &gt; &lt;= &gt;= =</summary>
    Operator,
    End,
}

internal sealed record Token(TokenKind Kind, string Value, int Line);
