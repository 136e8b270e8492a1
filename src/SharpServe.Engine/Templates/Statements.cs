namespace SharpServe.Engine.Templates;

/// <summary>Statement AST: the body of a template is a list of these.</summary>
internal abstract record Node(int Line);

internal sealed record TextNode(int Line, string Text) : Node(Line);

internal sealed record OutputNode(int Line, Expr Value) : Node(Line);

internal sealed record IfNode(int Line, IReadOnlyList<(Expr Condition, IReadOnlyList<Node> Body)> Branches, IReadOnlyList<Node> ElseBody) : Node(Line);

/// <summary>for a in xs / for k, v in xs: several targets unpack each item.</summary>
internal sealed record ForNode(int Line, IReadOnlyList<string> Targets, Expr Iterable, IReadOnlyList<Node> Body) : Node(Line);

/// <summary>set name = value, or set ns.attr = value when Attribute is not null.</summary>
internal sealed record SetNode(int Line, string Name, string? Attribute, Expr Value) : Node(Line);
