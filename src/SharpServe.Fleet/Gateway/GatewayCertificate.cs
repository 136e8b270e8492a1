using System.Security.Cryptography.X509Certificates;

namespace SharpServe.Fleet.Gateway;

/// <summary>Loads the HTTPS certificate: a PEM certificate with its PEM key, or a PFX (PKCS#12) file without a password.</summary>
public static class GatewayCertificate
{
    /// <exception cref="ArgumentException">A file is missing or unreadable as a certificate.</exception>
    public static X509Certificate2 Load(string certificatePath, string? keyPath)
    {
        foreach (string path in keyPath is null ? [certificatePath] : new[] { certificatePath, keyPath })
        {
            if (!File.Exists(path))
            {
                throw new ArgumentException($"TLS: {path} does not exist");
            }
        }

        try
        {
            if (keyPath is null)
            {
                return X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password: null);
            }

            // A PEM key is an ephemeral key on some platforms; re-exporting as PKCS#12 gives SslStream a key it can use everywhere.
            using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new ArgumentException($"TLS: cannot load the certificate {certificatePath}{(keyPath is null ? "" : $" with key {keyPath}")}: {e.Message}", e);
        }
    }
}
