namespace SharpServe.Engine.Tests.Tokenization;

/// <summary>
/// NFC for test expectations from ADRaffy.ENSNormalize (pure C#, Unicode 17): string.Normalize cannot
/// serve, it leaves non-ASCII text untouched under the project's InvariantGlobalization.
/// </summary>
internal static class IndependentNfc
{
    public static string Normalize(string text) => ADRaffy.ENSNormalize.ENSNormalize.NF.NFC(text);
}
