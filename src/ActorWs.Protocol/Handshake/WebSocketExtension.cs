using System.Collections.Immutable;
using System.Text;

namespace ActorWs.Protocol;

/// <summary>One parameter of an offered extension (RFC 6455 §9.1: <c>extension-param = token [ "=" (token | quoted-string) ]</c>).</summary>
/// <param name="Name">The parameter's name, a token.</param>
/// <param name="Value">Its value, unquoted (a token, as §9.1 requires of a quoted value too); null for a parameter with no value.</param>
public readonly record struct ExtensionParameter(string Name, string? Value)
{
    /// <summary>The parameter as it is written in the header: <c>name</c> or <c>name=value</c>.</summary>
    public override string ToString() => Value is null ? Name : $"{Name}={Value}";
}

/// <summary>
/// One extension a client offers in Sec-WebSocket-Extensions (RFC 6455 §9.1), with its parameters in
/// order: <c>permessage-deflate; client_max_window_bits</c> (RFC 7692 §7) is the extension
/// <c>permessage-deflate</c> with the parameter <c>client_max_window_bits</c> and no value. The same
/// name may be offered more than once, with other parameters, as alternatives in order of
/// preference (§9.1, RFC 7692 §5): the list keeps every offer. Immutable.
/// </summary>
public sealed class WebSocketExtension
{
    /// <summary>The header field that carries the offers (§11.3.2).</summary>
    public const string HeaderName = "Sec-WebSocket-Extensions";

    internal WebSocketExtension(string name, ImmutableArray<ExtensionParameter> parameters)
    {
        Name = name;
        Parameters = parameters;
    }

    /// <summary>The extension's name, a token (§9.1: <c>extension-token</c>).</summary>
    public string Name { get; }

    /// <summary>The parameters, in the order they came; repeated names kept (what they mean is the extension's business).</summary>
    public IReadOnlyList<ExtensionParameter> Parameters { get; }

    /// <summary>The extension as it is written in the header: <c>name; param; param=value</c>.</summary>
    public override string ToString() => Parameters.Count == 0 ? Name : $"{Name}; {string.Join("; ", Parameters)}";

    /// <summary>
    /// Reads the offers in the values of the Sec-WebSocket-Extensions lines of a request (§9.1; the
    /// field may appear more than once, §11.3.2), in order. Empty list elements are skipped (RFC 9110
    /// §5.6.1) but a field naming no extension, an element that is not <c>token *(";" param)</c>, or a
    /// quoted value that is not a token once unquoted (§9.1) is <see cref="ViolationKind.ExtensionsMalformed"/>.
    /// </summary>
    public static ProtocolResult<IReadOnlyList<WebSocketExtension>> ParseOffers(IEnumerable<string> fieldValues)
    {
        var offers = ImmutableArray.CreateBuilder<WebSocketExtension>();
        bool present = false;
        foreach (var value in fieldValues)
        {
            present = true;
            if (new Scanner(value).ReadList(offers) is { } error)
                return ProtocolResult<IReadOnlyList<WebSocketExtension>>.Fail(ViolationKind.ExtensionsMalformed,
                    $"Sec-WebSocket-Extensions '{HttpHead.Printable(value)}': {error} (RFC 6455 §9.1)");
        }
        // §9.1: extension-list = 1#extension.
        if (present && offers.Count == 0)
            return ProtocolResult<IReadOnlyList<WebSocketExtension>>.Fail(ViolationKind.ExtensionsMalformed,
                "Sec-WebSocket-Extensions names no extension (RFC 6455 §9.1: 1#extension)");
        return ProtocolResult<IReadOnlyList<WebSocketExtension>>.Complete(offers.ToImmutable());
    }

    /// <summary>Reads one field value by the grammar of §9.1, with optional whitespace (RFC 9110 §5.6.3) between its parts.</summary>
    private ref struct Scanner(string text)
    {
        private readonly string _text = text;
        private int _at;

        /// <summary>Adds the extensions of the value to <paramref name="offers"/>; null when well-formed, else what is wrong.</summary>
        public string? ReadList(ImmutableArray<WebSocketExtension>.Builder offers)
        {
            while (true)
            {
                SkipWhitespace();
                if (AtEnd)
                    return null;
                if (Peek == ',')
                {
                    _at++; // an empty list element
                    continue;
                }
                var name = ReadToken();
                if (name is null)
                    return $"expected an extension name at position {_at}";
                var parameters = ImmutableArray.CreateBuilder<ExtensionParameter>();
                SkipWhitespace();
                while (!AtEnd && Peek == ';')
                {
                    _at++;
                    SkipWhitespace();
                    var parameter = ReadToken();
                    if (parameter is null)
                        return $"expected a parameter name at position {_at}";
                    string? parameterValue = null;
                    SkipWhitespace();
                    if (!AtEnd && Peek == '=')
                    {
                        _at++;
                        SkipWhitespace();
                        parameterValue = !AtEnd && Peek == '"' ? ReadQuotedString() : ReadToken();
                        // §9.1: "the value after quoted-string unescaping MUST conform to the 'token' ABNF".
                        if (parameterValue is null || !HttpSyntax.IsToken(parameterValue))
                            return $"the value of parameter '{parameter}' is not a token";
                        SkipWhitespace();
                    }
                    parameters.Add(new ExtensionParameter(parameter, parameterValue));
                }
                offers.Add(new WebSocketExtension(name, parameters.ToImmutable()));
                if (AtEnd)
                    return null;
                if (Peek != ',')
                    return $"unexpected '{HttpSyntax.Visible(Peek.ToString())}' at position {_at}";
                _at++;
            }
        }

        private readonly bool AtEnd => _at >= _text.Length;

        private readonly char Peek => _text[_at];

        private void SkipWhitespace()
        {
            while (!AtEnd && Peek is ' ' or '\t')
                _at++;
        }

        private string? ReadToken()
        {
            int start = _at;
            while (!AtEnd && HttpSyntax.IsToken(_text.AsSpan(_at, 1)))
                _at++;
            return _at > start ? _text[start.._at] : null;
        }

        /// <summary>quoted-string (RFC 9110 §5.6.4), unescaped; null if it does not end.</summary>
        private string? ReadQuotedString()
        {
            var sb = new StringBuilder();
            _at++; // the opening DQUOTE
            while (!AtEnd)
            {
                char c = _text[_at++];
                if (c == '"')
                    return sb.ToString();
                if (c == '\\')
                {
                    if (AtEnd)
                        return null;
                    c = _text[_at++];
                }
                sb.Append(c);
            }
            return null;
        }
    }
}
