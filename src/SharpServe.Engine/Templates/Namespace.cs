namespace SharpServe.Engine.Templates;

/// <summary>
/// The object namespace(...) returns: the one mutable value a template has, used to carry state out of
/// for-loop scopes via "set ns.attr = ...".
/// </summary>
internal sealed class Namespace
{
    public Dictionary<string, object?> Attributes { get; } = [];
}
