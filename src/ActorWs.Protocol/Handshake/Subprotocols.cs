using System.Collections.Immutable;

namespace ActorWs.Protocol;

/// <summary>
/// The rules for subprotocols (RFC 6455 §1.9, §4.1, §4.2.2, §11.3.4): the client offers names in
/// its order of preference in Sec-WebSocket-Protocol, the server answers with at most one of them.
/// A name is an HTTP token (§4.1: "characters in the range U+0021 to U+007E not including separator
/// characters"; §11.3.4: <c>1#token</c>) and names are compared exactly, case included: §4.1 and
/// §11.3.4 define no case folding for them (unlike the "websocket" of Upgrade, which §4.2.1 item 3
/// says is case-insensitive), and browsers and Node's ws compare them exactly too.
/// </summary>
public static class Subprotocols
{
    /// <summary>The header field that carries them (§11.3.4).</summary>
    public const string HeaderName = "Sec-WebSocket-Protocol";

    /// <summary>Whether <paramref name="name"/> can be a subprotocol name: a token (§4.1, §11.3.4).</summary>
    public static bool IsValidName(string? name) => name is not null && HttpSyntax.IsToken(name);

    /// <summary>
    /// Reads a client's offer from the values of its Sec-WebSocket-Protocol lines (§11.3.4: the field
    /// may appear more than once in a request, "logically the same as a single ... field that
    /// contains all values"). Complete with the names in the client's order of preference (§4.1),
    /// empty when the field is absent. A field with no name at all, or an element that is not a
    /// token (a space inside, a quote, a slash), is <see cref="ViolationKind.SubprotocolMalformed"/>;
    /// a name offered twice is <see cref="ViolationKind.SubprotocolDuplicated"/>. Empty list elements
    /// (<c>chat, , superchat</c>) are skipped, as RFC 9110 §5.6.1 requires of a recipient.
    /// </summary>
    /// <remarks>
    /// A duplicate is refused rather than ignored because §4.1 makes uniqueness a MUST of the client
    /// ("MUST all be unique strings"), and §4.2.1 answers a handshake that does not match the
    /// description with an error; a client that breaks it is broken, and Node's ws refuses it with
    /// 400 as well. (A duplicate also blurs the order of preference the server selects by.)
    /// </remarks>
    public static ProtocolResult<IReadOnlyList<string>> ParseOffer(IEnumerable<string> fieldValues)
    {
        var names = ImmutableArray.CreateBuilder<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal); // a head of up to 1 MiB may hold 500,000 names: no quadratic search
        bool present = false;
        foreach (var value in fieldValues)
        {
            present = true;
            foreach (var element in value.Split(','))
            {
                var name = element.Trim(' ', '\t');
                if (name.Length == 0)
                    continue;
                if (!HttpSyntax.IsToken(name))
                    return Malformed($"subprotocol '{HttpHead.Printable(name)}' is not a token (RFC 6455 §4.1, §11.3.4)");
                if (!seen.Add(name))
                    return ProtocolResult<IReadOnlyList<string>>.Fail(ViolationKind.SubprotocolDuplicated,
                        $"subprotocol '{HttpHead.Printable(name)}' offered twice; the names \"MUST all be unique\" (RFC 6455 §4.1)");
                names.Add(name);
            }
        }
        // §11.3.4: Sec-WebSocket-Protocol-Client = 1#token: a field present with no name in it is malformed.
        if (present && names.Count == 0)
            return Malformed("Sec-WebSocket-Protocol names no subprotocol (RFC 6455 §11.3.4: 1#token)");
        return ProtocolResult<IReadOnlyList<string>>.Complete(names.ToImmutable());
    }

    /// <summary>
    /// The value of a client's Sec-WebSocket-Protocol for <paramref name="names"/>, in that order:
    /// <c>chat, superchat</c> (§1.9). Throws an <see cref="ArgumentException"/> for a name that is not
    /// a token or a name given twice (§4.1: "MUST all be unique strings"), and for an empty list
    /// (offer none by sending no field).
    /// </summary>
    public static string FormatOffer(IEnumerable<string> names)
    {
        var checkedNames = CheckOffer(names, nameof(names));
        if (checkedNames.Length == 0)
            throw new ArgumentException("no subprotocol to offer: send no Sec-WebSocket-Protocol at all (RFC 6455 §4.1)", nameof(names));
        return string.Join(", ", checkedNames);
    }

    /// <summary>
    /// The default choice of a server (§4.2.2, /subprotocol/): the first name in the client's order
    /// of preference that the server supports, or null when there is none in common (then the
    /// response has no Sec-WebSocket-Protocol, "the server does not agree to any of the client's
    /// requested subprotocols", §4.2.2). The RFC lets a server choose any offered name; following the
    /// client's order is what §4.1 ("ordered by preference") asks the server to weigh.
    /// </summary>
    public static string? SelectFirstSupported(IEnumerable<string> offered, IEnumerable<string> supported)
    {
        var set = supported as IReadOnlySet<string> ?? supported.ToHashSet(StringComparer.Ordinal);
        return offered.FirstOrDefault(name => set.Contains(name));
    }

    /// <summary>Checks a list of names the application gives; the application's mistake, so an exception.</summary>
    internal static ImmutableArray<string> CheckOffer(IEnumerable<string>? names, string paramName)
    {
        if (names is null)
            return [];
        var checkedNames = names.ToImmutableArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in checkedNames)
        {
            if (!IsValidName(name))
                throw new ArgumentException($"subprotocol '{HttpSyntax.Visible(name)}' is not a token (RFC 6455 §4.1, §11.3.4)", paramName);
            if (!seen.Add(name))
                throw new ArgumentException($"subprotocol '{name}' given twice; the names \"MUST all be unique\" (RFC 6455 §4.1)", paramName);
        }
        return checkedNames;
    }

    private static ProtocolResult<IReadOnlyList<string>> Malformed(string reason) =>
        ProtocolResult<IReadOnlyList<string>>.Fail(ViolationKind.SubprotocolMalformed, reason);
}
