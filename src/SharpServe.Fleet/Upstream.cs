namespace SharpServe.Fleet;

/// <summary>
/// One server the gateway may route to: an instance the supervisor runs (its id is "instance-PORT")
/// or a URL given to <c>sharpserve gateway</c>. Its address never changes: a restarted instance
/// comes back on the same port, and health checks decide when it is routable again.
/// </summary>
/// <param name="ServedModelNames">The model names it serves; requests for other names are not routed to it.</param>
public sealed record Upstream(string Id, Uri Address, IReadOnlyList<string> ServedModelNames);
