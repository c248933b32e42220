using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ActorWs.Transport;

/// <summary>
/// A client's judgement of a server certificate (RFC 6455 §4.1 with TLS; RFC 5280 §6 for the chain,
/// RFC 6125 §6 for the name), turned into a <see cref="TlsFailedException"/> that says which rule
/// failed: SslStream itself only reports "rejected by the callback".
/// </summary>
internal static class TlsValidation
{
    /// <summary>SslStream's options for one connection to <paramref name="host"/>; <paramref name="refused"/>
    /// is told why when the certificate is refused, before SslStream throws.</summary>
    public static SslClientAuthenticationOptions ClientOptions(string host, TlsClientOptions tls, Action<TlsFailedException> refused)
    {
        var trust = new X509Certificate2Collection();
        if (tls.CaFile is { } caFile)
            trust.ImportFromPemFile(caFile);
        if (tls.TrustedRoots is { } roots)
            foreach (var root in roots)
                trust.Add(root);
        var targetHost = tls.TargetHost ?? host;
        var options = new SslClientAuthenticationOptions
        {
            // SNI (RFC 6066 §3) and the name checked; SslStream sends no SNI for an IP literal, as the RFC says.
            TargetHost = targetHost,
            EnabledSslProtocols = tls.Protocols,
            // RFC 6455 §4.1 speaks HTTP/1.1 for the upgrade; ALPN (RFC 7301) says so to a server that also speaks h2.
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        string trusted = "the system's trust store";
        if (trust.Count > 0)
        {
            // The chain is judged against these roots only (X509ChainTrustMode.CustomRootTrust), so
            // SslStream's errors already say whether it chains to them.
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(trust);
            options.CertificateChainPolicy = policy;
            trusted = tls.CaFile is null ? $"{trust.Count} trusted root(s) given" : $"the CA file {tls.CaFile}";
        }
        options.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
        {
            var failure = Judge(targetHost, tls, trusted, certificate, chain, errors);
            if (failure is null)
                return true;
            refused(failure);
            return false;
        };
        return options;
    }

    /// <summary>Null when the certificate is accepted, else why not.</summary>
    public static TlsFailedException? Judge(string host, TlsClientOptions tls, string trusted, X509Certificate? presented, X509Chain? chain, SslPolicyErrors errors)
    {
        if (presented is null)
            return new TlsFailedException(TlsFailureReason.InvalidCertificate, "the server sent no certificate");
        var certificate = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        var who = $"the server's certificate '{certificate.Subject}'";
        if (tls.PinnedSpkiSha256.Count > 0)
        {
            var pin = TlsClientOptions.SpkiSha256(certificate);
            if (!tls.PinnedSpkiSha256.Contains(pin))
                return new TlsFailedException(TlsFailureReason.PinMismatch, $"{who} has the key sha256/{pin}, which is not pinned");
            // The pin is the trust: who signed the certificate no longer matters; its dates and name still do.
            errors &= ~SslPolicyErrors.RemoteCertificateChainErrors;
            var now = DateTime.Now;
            if (certificate.NotAfter < now || certificate.NotBefore > now)
                return Expired(who, certificate);
        }
        if (tls.CertificateValidation is { } validate)
            return validate(certificate, chain, errors) ? null
                : new TlsFailedException(TlsFailureReason.RejectedByCallback, $"{who} was refused by the application's certificate validation (.NET found: {errors})");
        if (errors == SslPolicyErrors.None)
            return null;
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return new TlsFailedException(TlsFailureReason.InvalidCertificate, "the server sent no certificate");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var status = chain?.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status) ?? X509ChainStatusFlags.NoError;
            if ((status & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0 || chain is null)
                return new TlsFailedException(TlsFailureReason.UntrustedChain,
                    $"{who}, issued by '{certificate.Issuer}', does not chain to a root in {trusted} ({Describe(chain)})");
            if ((status & X509ChainStatusFlags.NotTimeValid) != 0)
                return Expired(who, certificate);
            return new TlsFailedException(TlsFailureReason.InvalidCertificate, $"{who} is not valid: {Describe(chain)}");
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return new TlsFailedException(TlsFailureReason.HostNameMismatch,
                $"{who} is for {Names(certificate)}, not for '{host}' (RFC 6125 §6)");
        return new TlsFailedException(TlsFailureReason.InvalidCertificate, $"{who} was refused: {errors}");
    }

    private static TlsFailedException Expired(string who, X509Certificate2 certificate) =>
        new(TlsFailureReason.Expired, certificate.NotAfter < DateTime.Now
            ? $"{who} expired on {certificate.NotAfter.ToUniversalTime():u}"
            : $"{who} is not valid before {certificate.NotBefore.ToUniversalTime():u}");

    private static string Describe(X509Chain? chain) => chain is null || chain.ChainStatus.Length == 0
        ? "no chain"
        : string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());

    /// <summary>The subjectAltName's DNS names and addresses (RFC 5280 §4.2.1.6), or the subject when it has none.</summary>
    public static string Names(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var san in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            names.AddRange(san.EnumerateDnsNames());
            names.AddRange(san.EnumerateIPAddresses().Select(a => a.ToString()));
        }
        return names.Count == 0 ? $"'{certificate.Subject}' (no subjectAltName)" : string.Join(", ", names.Select(n => $"'{n}'"));
    }

    /// <summary>For the log: the subject of a peer's certificate, or "none".</summary>
    public static string Subject(X509Certificate? certificate) => certificate is null ? "none" : certificate.Subject;

    /// <summary>IPAddress literal hosts in a URI come bracketed for IPv6; SslStream wants them bare.</summary>
    public static string BareHost(Uri uri) => uri.HostNameType == UriHostNameType.IPv6 && IPAddress.TryParse(uri.DnsSafeHost, out var a) ? a.ToString() : uri.DnsSafeHost;
}
