namespace SharpServe.Server.Protocol;

/// <summary>GET /v1/models: one entry per served name, with vLLM's max_model_len extra.</summary>
public sealed record ModelList(IReadOnlyList<ModelCard> Data)
{
    public string Object => "list";
}

public sealed record ModelCard(string Id, long Created, string Root, int MaxModelLen)
{
    public string Object => "model";

    public string OwnedBy => "sharpserve";
}
