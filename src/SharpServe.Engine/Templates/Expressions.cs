namespace SharpServe.Engine.Templates;

/// <summary>Expression AST. Every node keeps its source line so runtime errors can name it.</summary>
internal abstract record Expr(int Line);

internal sealed record LiteralExpr(int Line, object? Value) : Expr(Line);

internal sealed record ListExpr(int Line, IReadOnlyList<Expr> Items) : Expr(Line);

internal sealed record DictExpr(int Line, IReadOnlyList<(Expr Key, Expr Value)> Entries) : Expr(Line);

internal sealed record NameExpr(int Line, string Name) : Expr(Line);

/// <summary>a.b: Jinja looks the name up as an attribute, then as a key.</summary>
internal sealed record AttributeExpr(int Line, Expr Target, string Name) : Expr(Line);

internal sealed record IndexExpr(int Line, Expr Target, Expr Index) : Expr(Line);

internal sealed record SliceExpr(int Line, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(Line);

internal sealed record CallExpr(int Line, Expr Callee, Arguments Args) : Expr(Line);

internal sealed record FilterExpr(int Line, Expr Target, string Name, Arguments Args) : Expr(Line);

internal sealed record TestExpr(int Line, Expr Target, string Name, bool Negated) : Expr(Line);

internal sealed record UnaryExpr(int Line, string Operator, Expr Operand) : Expr(Line);

internal sealed record BinaryExpr(int Line, string Operator, Expr Left, Expr Right) : Expr(Line);

/// <summary>x if c else y; a missing else yields undefined, as in Jinja.</summary>
internal sealed record ConditionalExpr(int Line, Expr Condition, Expr Then, Expr? Else) : Expr(Line);

internal sealed record Arguments(IReadOnlyList<Expr> Positional, IReadOnlyList<(string Name, Expr Value)> Named)
{
    public static readonly Arguments None = new([], []);
}
