namespace SharpServe.Engine.Tokenization;

/// <summary>One entry of tokenizer.json's <c>added_tokens</c> (the flags we don't model are always false).</summary>
internal readonly record struct HfAddedToken(int Id, string Content, bool Special);
