using System.Text;

namespace SharpServe.Engine.Templates;

/// <summary>Executes statement nodes, appending output text.</summary>
internal static class Renderer
{
    public static void Render(IReadOnlyList<Node> nodes, Scope scope, StringBuilder output)
    {
        foreach (Node node in nodes)
        {
            switch (node)
            {
                case TextNode text:
                    output.Append(text.Text);
                    break;
                case OutputNode print:
                    output.Append(Values.ToText(Evaluator.Evaluate(print.Value, scope)));
                    break;
                case IfNode branch:
                    RenderIf(branch, scope, output);
                    break;
                case ForNode loop:
                    RenderFor(loop, scope, output);
                    break;
                case SetNode set:
                    Assign(set, scope);
                    break;
                default:
                    throw new TemplateException(node.Line, $"unsupported statement {node.GetType().Name}");
            }
        }
    }

    private static void RenderIf(IfNode node, Scope scope, StringBuilder output)
    {
        foreach (var (condition, body) in node.Branches)
        {
            if (Values.IsTruthy(Evaluator.Evaluate(condition, scope)))
            {
                Render(body, scope, output);
                return;
            }
        }

        Render(node.ElseBody, scope, output);
    }

    private static void RenderFor(ForNode node, Scope scope, StringBuilder output)
    {
        List<object?> items = Values.Iterate(Evaluator.Evaluate(node.Iterable, scope), node.Line);
        for (int i = 0; i < items.Count; i++)
        {
            // A fresh frame per iteration: assignments inside the body stay inside, as in Jinja.
            var frame = new Scope(scope);
            frame.Set("loop", LoopVariable(i, items.Count));
            BindTargets(node, items[i], frame);
            Render(node.Body, frame, output);
        }
    }

    private static Dictionary<string, object?> LoopVariable(int index, int count) => new()
    {
        ["index"] = (long)index + 1,
        ["index0"] = (long)index,
        ["revindex"] = (long)(count - index),
        ["revindex0"] = (long)(count - index - 1),
        ["first"] = index == 0,
        ["last"] = index == count - 1,
        ["length"] = (long)count,
    };

    private static void BindTargets(ForNode node, object? item, Scope frame)
    {
        if (node.Targets.Count == 1)
        {
            frame.Set(node.Targets[0], item);
            return;
        }

        if (item is not List<object?> parts || parts.Count != node.Targets.Count)
        {
            throw new TemplateException(node.Line, $"cannot unpack {Values.TypeName(item)} into {node.Targets.Count} loop variables");
        }

        for (int t = 0; t < parts.Count; t++)
        {
            frame.Set(node.Targets[t], parts[t]);
        }
    }

    private static void Assign(SetNode node, Scope scope)
    {
        object? value = Evaluator.Evaluate(node.Value, scope);
        if (node.Attribute is null)
        {
            scope.Set(node.Name, value);
        }
        else if (scope.Get(node.Name) is Namespace ns)
        {
            ns.Attributes[node.Attribute] = value;
        }
        else
        {
            throw new TemplateException(node.Line, $"'set {node.Name}.{node.Attribute}' needs {node.Name} to be a namespace()");
        }
    }
}
