namespace SharpServe.Engine.Templates;

/// <summary>Evaluates expression nodes against a scope with Python/Jinja semantics.</summary>
internal static class Evaluator
{
    public static object? Evaluate(Expr expr, Scope scope) => expr switch
    {
        LiteralExpr e => e.Value,
        NameExpr e => scope.Get(e.Name),
        ListExpr e => e.Items.Select(item => Evaluate(item, scope)).ToList(),
        DictExpr e => EvaluateDict(e, scope),
        AttributeExpr e => GetMember(Evaluate(e.Target, scope), e.Name, e.Line),
        IndexExpr e => GetItem(Evaluate(e.Target, scope), Evaluate(e.Index, scope), e.Line),
        SliceExpr e => Slicing.Slice(Evaluate(e.Target, scope), Optional(e.Start, scope), Optional(e.Stop, scope), Optional(e.Step, scope), e.Line),
        CallExpr e => Call(e, scope),
        FilterExpr e => Filters.Apply(e.Name, Evaluate(e.Target, scope), EvaluateArguments(e.Args, scope, $"filter '{e.Name}'", e.Line)),
        TestExpr e => Predicates.Test(e.Name, Evaluate(e.Target, scope), e.Line) != e.Negated,
        UnaryExpr { Operator: "not" } e => !Values.IsTruthy(Evaluate(e.Operand, scope)),
        UnaryExpr e => Negate(Evaluate(e.Operand, scope), e.Line),
        BinaryExpr { Operator: "and" } e => Evaluate(e.Left, scope) is var l && !Values.IsTruthy(l) ? l : Evaluate(e.Right, scope),
        BinaryExpr { Operator: "or" } e => Evaluate(e.Left, scope) is var l && Values.IsTruthy(l) ? l : Evaluate(e.Right, scope),
        BinaryExpr e => Operators.Binary(e.Operator, Evaluate(e.Left, scope), Evaluate(e.Right, scope), e.Line),
        ConditionalExpr e => Values.IsTruthy(Evaluate(e.Condition, scope))
            ? Evaluate(e.Then, scope)
            : e.Else is null ? Undefined.Instance : Evaluate(e.Else, scope),
        _ => throw new TemplateException(expr.Line, $"unsupported expression {expr.GetType().Name}"),
    };

    private static object? Optional(Expr? expr, Scope scope) => expr is null ? null : Evaluate(expr, scope);

    private static Dictionary<string, object?> EvaluateDict(DictExpr e, Scope scope)
    {
        var dict = new Dictionary<string, object?>();
        foreach (var (key, value) in e.Entries)
        {
            dict[Evaluate(key, scope) as string ?? throw new TemplateException(e.Line, "dictionary keys must be strings")] = Evaluate(value, scope);
        }

        return dict;
    }

    // a.name and a['name'] both resolve to a dictionary key or namespace attribute; a missing one is
    // undefined, but looking anything up on undefined is an error, as with Jinja's default Undefined.
    private static object? GetMember(object? target, string name, int line) => target switch
    {
        Dictionary<string, object?> d => d.TryGetValue(name, out object? value) ? value : Undefined.Instance,
        Namespace ns => ns.Attributes.TryGetValue(name, out object? value) ? value : Undefined.Instance,
        Undefined => throw new TemplateException(line, $"'{name}' looked up on an undefined value"),
        _ => Undefined.Instance,
    };

    private static object? GetItem(object? target, object? index, int line) => (target, index) switch
    {
        (_, string key) => GetMember(target, key, line),
        (List<object?> list, long i) => Slicing.NormalizeIndex(i, list.Count) is int at ? list[at] : Undefined.Instance,
        (string s, long i) => Slicing.NormalizeIndex(i, s.Length) is int at ? s[at].ToString() : Undefined.Instance,
        (Undefined, _) => throw new TemplateException(line, "index into an undefined value"),
        _ => Undefined.Instance,
    };

    private static object? Negate(object? value, int line) => value switch
    {
        long l => (object)(-l),
        double d => -d,
        _ => throw new TemplateException(line, $"cannot negate {Values.TypeName(value)}"),
    };

    private static object? Call(CallExpr call, Scope scope)
    {
        switch (call.Callee)
        {
            case AttributeExpr method:
                object? target = Evaluate(method.Target, scope);
                return Methods.Invoke(target, method.Name, EvaluateArguments(call.Args, scope, $"method '{method.Name}'", call.Line));
            case NameExpr { Name: "namespace" }:
                var ns = new Namespace();
                var args = EvaluateArguments(call.Args, scope, "namespace()", call.Line);
                // namespace() takes keyword arguments only; a positional one would be silently lost.
                args.ExpectAtMost(args.Named.Count);
                foreach (var (key, value) in args.Named)
                {
                    ns.Attributes[key] = value;
                }

                return ns;
            case NameExpr { Name: "raise_exception" }:
                var message = EvaluateArguments(call.Args, scope, "raise_exception()", call.Line);
                message.ExpectAtMost(1);
                throw new TemplateException(call.Line, "raise_exception: " + Values.ToText(message.Get(0, "message", string.Empty)));
            default:
                string what = call.Callee is NameExpr name ? $"'{name.Name}()'" : "of a non-function value";
                throw new TemplateException(call.Line, $"unsupported function call {what}");
        }
    }

    private static CallArguments EvaluateArguments(Arguments args, Scope scope, string callee, int line)
    {
        var positional = args.Positional.Select(a => Evaluate(a, scope)).ToList();
        var named = new Dictionary<string, object?>();
        foreach (var (name, value) in args.Named)
        {
            named[name] = Evaluate(value, scope);
        }

        return new CallArguments(positional, named, callee, line);
    }
}
