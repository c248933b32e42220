using System.Collections.Immutable;
using System.Globalization;

namespace ActorWs.Protocol;

/// <summary>
/// What an endpoint is willing to agree to for permessage-deflate (RFC 7692). The compressor is
/// .NET's <see cref="System.IO.Compression.DeflateStream"/>, whose LZ77 window is always 15 bits:
/// an agreement that would limit our compressor to fewer bits is declined rather than violated
/// (§7.1.2.1, §7.1.2.2). Inflating uses a 15-bit window, which reads any peer's window (§7.1.2).
/// </summary>
public sealed record PerMessageDeflateOptions
{
    /// <summary>The defaults: level 6, no context takeover for either compressor (nothing held by an idle connection), 15-bit peer window, 1 KiB threshold.</summary>
    public static PerMessageDeflateOptions Default { get; } = new();

    /// <summary>zlib compression level, 1 (fastest) to 9 (smallest).</summary>
    public int Level { get; init; } = 6;

    /// <summary>Whether our compressor keeps its LZ77 window from one message to the next (§7.1.1).
    /// Off, it starts every message afresh and holds no state between messages (a zlib compressor is
    /// about 270 KiB of native memory); it then declares so: a server answers with
    /// <c>server_no_context_takeover</c> (§7.1.1.1 allows it unasked), a client offers <c>client_no_context_takeover</c> (§7.1.1.2).</summary>
    public bool ContextTakeover { get; init; }

    /// <summary>Whether the peer's compressor may keep its window between messages. Off (the
    /// default), a server answers with <c>client_no_context_takeover</c> (§7.1.1.2 allows it unasked)
    /// and a client offers <c>server_no_context_takeover</c> (§7.1.1.1) with a plain offer as
    /// fallback, so our decompressor is released after each message and an idle connection holds
    /// none; on, the decompressor (about 50 KiB measured) lives as long as the connection once a
    /// compressed message has come, for better ratios on streams of similar messages.</summary>
    public bool PeerContextTakeover { get; init; }

    /// <summary>The largest LZ77 window, 8 to 15 bits, the peer's compressor may use (§7.1.2): below
    /// 15 a server answers an offer of <c>client_max_window_bits</c> with it and a client offers
    /// <c>server_max_window_bits</c>, which spares the peer's memory, not ours.</summary>
    public int PeerMaxWindowBits { get; init; } = 15;

    /// <summary>Messages smaller than this many bytes are sent uncompressed (as Node ws does at 1 KiB): their compression saves little and costs a compressor.</summary>
    public int Threshold { get; init; } = 1024;

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> for a value out of its range.</summary>
    public PerMessageDeflateOptions Validate()
    {
        if (Level is < 1 or > 9)
            throw new ArgumentOutOfRangeException(nameof(Level), Level, "must be 1..9");
        if (PeerMaxWindowBits is < PerMessageDeflate.MinWindowBits or > PerMessageDeflate.MaxWindowBits)
            throw new ArgumentOutOfRangeException(nameof(PeerMaxWindowBits), PeerMaxWindowBits, "must be 8..15 (RFC 7692 §7.1.2)");
        if (Threshold < 0)
            throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "must not be negative");
        return this;
    }
}

/// <summary>
/// The parameters of a permessage-deflate agreement (RFC 7692 §7.1), as the server's response states
/// them. Absent window bits mean 15 (§7.1.2).
/// </summary>
/// <param name="ServerNoContextTakeover">The server resets its compressor for every message (§7.1.1.1).</param>
/// <param name="ClientNoContextTakeover">The client resets its compressor for every message (§7.1.1.2).</param>
/// <param name="ServerMaxWindowBits">The server's largest window, 8..15; null for none stated (§7.1.2.1).</param>
/// <param name="ClientMaxWindowBits">The client's largest window, 8..15; null for none stated (§7.1.2.2).</param>
public sealed record DeflateParameters(bool ServerNoContextTakeover, bool ClientNoContextTakeover, int? ServerMaxWindowBits, int? ClientMaxWindowBits)
{
    /// <summary>Whether the compressor of the endpoint in <paramref name="role"/> must reset for every message.</summary>
    public bool NoContextTakeover(Role role) => role == Role.Server ? ServerNoContextTakeover : ClientNoContextTakeover;

    /// <summary>The agreement as an extension of the response (§9.1).</summary>
    public WebSocketExtension ToExtension()
    {
        var parameters = ImmutableArray.CreateBuilder<ExtensionParameter>();
        if (ServerNoContextTakeover)
            parameters.Add(new(PerMessageDeflate.ServerNoContextTakeover, null));
        if (ClientNoContextTakeover)
            parameters.Add(new(PerMessageDeflate.ClientNoContextTakeover, null));
        if (ServerMaxWindowBits is { } server)
            parameters.Add(new(PerMessageDeflate.ServerMaxWindowBits, server.ToString(CultureInfo.InvariantCulture)));
        if (ClientMaxWindowBits is { } client)
            parameters.Add(new(PerMessageDeflate.ClientMaxWindowBits, client.ToString(CultureInfo.InvariantCulture)));
        return new WebSocketExtension(PerMessageDeflate.Name, parameters.ToImmutable());
    }

    /// <summary>The agreement as the response's Sec-WebSocket-Extensions value.</summary>
    public override string ToString() => ToExtension().ToString();
}

/// <summary>
/// Negotiation of permessage-deflate (RFC 7692 §5, §7.1): the client's offers and the server's
/// choice among them, and the client's check of the server's answer.
/// </summary>
public static class PerMessageDeflate
{
    /// <summary>The extension's name (§7).</summary>
    public const string Name = "permessage-deflate";
    /// <summary>§7.1.1.1.</summary>
    public const string ServerNoContextTakeover = "server_no_context_takeover";
    /// <summary>§7.1.1.2.</summary>
    public const string ClientNoContextTakeover = "client_no_context_takeover";
    /// <summary>§7.1.2.1.</summary>
    public const string ServerMaxWindowBits = "server_max_window_bits";
    /// <summary>§7.1.2.2.</summary>
    public const string ClientMaxWindowBits = "client_max_window_bits";
    /// <summary>The smallest window a peer may ask for (§7.1.2).</summary>
    public const int MinWindowBits = 8;
    /// <summary>The largest window, and the only one .NET's compressor uses (§7.1.2).</summary>
    public const int MaxWindowBits = 15;

    /// <summary>The RSV1 bit as <see cref="FrameHeader.Rsv"/> holds it: "Per-Message Compressed" (§6).</summary>
    public const byte Rsv1 = 0b100;

    /// <summary>
    /// A client's Sec-WebSocket-Extensions value (§5.1): with a peer window or peer context limit
    /// asked for, that offer first and a plain one after it as the fallback (§5: offers in order of
    /// preference), since a server that cannot honour a limit declines the offer that asks for it.
    /// No <c>client_max_window_bits</c>: it would let the server shrink our compressor's window,
    /// which .NET cannot (§7.1.2.2).
    /// </summary>
    public static string ClientOffer(PerMessageDeflateOptions options)
    {
        var plain = options.ContextTakeover ? Name : $"{Name}; {ClientNoContextTakeover}";
        var limits = new List<string>();
        if (!options.PeerContextTakeover)
            limits.Add(ServerNoContextTakeover);
        if (options.PeerMaxWindowBits < MaxWindowBits)
            limits.Add($"{ServerMaxWindowBits}={options.PeerMaxWindowBits.ToString(CultureInfo.InvariantCulture)}");
        return limits.Count == 0 ? plain : $"{plain}; {string.Join("; ", limits)}, {plain}";
    }

    /// <summary>
    /// A server's choice (§5.1): the first permessage-deflate offer it can accept, with the
    /// parameters of its response, or null to decline them all (the connection goes on without
    /// compression). An offer is declined if a parameter is unknown, repeated or has an invalid value
    /// (§7: "MUST decline"), or if it asks for <c>server_max_window_bits</c> below 15 (our compressor
    /// cannot limit its window: declined rather than violated, §7.1.2.1).
    /// </summary>
    /// <param name="offers">The client's offers in order (<see cref="HttpRequestView.Extensions"/>).</param>
    /// <param name="options">What the server agrees to.</param>
    /// <param name="declined">Why each permessage-deflate offer before the accepted one (or every one) was declined, for the log.</param>
    public static DeflateParameters? Accept(IEnumerable<WebSocketExtension> offers, PerMessageDeflateOptions options, out IReadOnlyList<string> declined)
    {
        var why = new List<string>();
        declined = why;
        foreach (var offer in offers)
        {
            if (!string.Equals(offer.Name, Name, StringComparison.OrdinalIgnoreCase))
                continue;
            var read = ReadParameters(offer, out var error);
            if (read is null)
            {
                why.Add($"'{offer}': {error}");
                continue;
            }
            var (serverNct, clientNct, serverBits, clientBits) = read.Value;
            if (serverBits is < MaxWindowBits)
            {
                why.Add($"'{offer}': server_max_window_bits={serverBits} asks for a compressor window below 15 bits, which .NET's DeflateStream cannot use (RFC 7692 §7.1.2.1)");
                continue;
            }
            int? answerClientBits = clientBits switch
            {
                // §7.1.2.2: only if offered; a value no larger than the client's hint, if any.
                null => null,
                -1 => options.PeerMaxWindowBits < MaxWindowBits ? options.PeerMaxWindowBits : null,
                int hint => options.PeerMaxWindowBits < hint ? options.PeerMaxWindowBits : hint,
            };
            return new DeflateParameters(
                // §7.1.1.1: MUST when offered, MAY otherwise (our compressor resetting per message).
                ServerNoContextTakeover: serverNct || !options.ContextTakeover,
                // §7.1.1.2: the server MAY ask it; the client's offer of it is a hint we take.
                ClientNoContextTakeover: clientNct || !options.PeerContextTakeover,
                // §7.1.2.1: an offered limit is answered with the same or a smaller value: here 15.
                ServerMaxWindowBits: serverBits,
                ClientMaxWindowBits: answerClientBits);
        }
        return null;
    }

    /// <summary>
    /// A client's check of the server's answer (§5.1, §7.1): null when the response names no
    /// extension; otherwise the agreement, or a violation (<see cref="ViolationKind.UnrequestedExtension"/>)
    /// when it names another extension or more than one, or has parameters that break §7.1 or what
    /// we offered. <paramref name="offered"/> is null when we offered nothing.
    /// </summary>
    public static ProtocolResult<DeflateParameters?> CheckResponse(IReadOnlyList<WebSocketExtension> answer, PerMessageDeflateOptions? offered)
    {
        if (answer.Count == 0)
            return ProtocolResult<DeflateParameters?>.Complete(null);
        if (offered is null)
            return Refuse("server selected an extension that was not requested (RFC 6455 §4.1)");
        if (answer.Count > 1 || !string.Equals(answer[0].Name, Name, StringComparison.OrdinalIgnoreCase))
            return Refuse($"server selected '{string.Join(", ", answer)}', not the one permessage-deflate offered (RFC 6455 §4.1, §9.1)");
        var read = ReadParameters(answer[0], out var error);
        if (read is null)
            return Refuse($"server's permessage-deflate response '{answer[0]}': {error} (RFC 7692 §7)");
        var (serverNct, clientNct, serverBits, clientBits) = read.Value;
        if (serverBits == -1)
            return Refuse("server_max_window_bits without a value in the response (RFC 7692 §7.1.2.1)");
        // §7.1.2.2: client_max_window_bits only in answer to an offer of it, which we never make.
        if (clientBits is not null)
            return Refuse("server answered with client_max_window_bits, which was not offered (RFC 7692 §7.1.2.2)");
        // What our offer asked for (the first, strict offer) or nothing (the fallback): either may be the one accepted.
        bool askedServerNct = !offered.PeerContextTakeover;
        bool askedServerBits = offered.PeerMaxWindowBits < MaxWindowBits;
        bool strict = (!askedServerNct || serverNct) && (!askedServerBits || serverBits is not null);
        if (strict && askedServerBits && serverBits > offered.PeerMaxWindowBits)
            return Refuse($"server_max_window_bits={serverBits} is above the {offered.PeerMaxWindowBits} offered (RFC 7692 §7.1.2.1)");
        return ProtocolResult<DeflateParameters?>.Complete(new DeflateParameters(serverNct, clientNct, serverBits, null));
    }

    private static ProtocolResult<DeflateParameters?> Refuse(string reason) =>
        ProtocolResult<DeflateParameters?>.Fail(ViolationKind.UnrequestedExtension, reason);

    /// <summary>The four parameters of one offer or response (§7.1); a window without a value is -1.
    /// Null with the reason for an unknown or repeated parameter, or a value that §7.1 forbids.</summary>
    private static (bool ServerNct, bool ClientNct, int? ServerBits, int? ClientBits)? ReadParameters(WebSocketExtension extension, out string? error)
    {
        error = null;
        bool serverNct = false, clientNct = false;
        int? serverBits = null, clientBits = null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in extension.Parameters)
        {
            if (!seen.Add(parameter.Name))
            {
                error = $"parameter '{parameter.Name}' given twice (RFC 7692 §7)";
                return null;
            }
            switch (parameter.Name.ToLowerInvariant())
            {
                case ServerNoContextTakeover or ClientNoContextTakeover when parameter.Value is not null:
                    error = $"'{parameter.Name}' has a value (RFC 7692 §7.1.1)";
                    return null;
                case ServerNoContextTakeover:
                    serverNct = true;
                    break;
                case ClientNoContextTakeover:
                    clientNct = true;
                    break;
                case ServerMaxWindowBits or ClientMaxWindowBits:
                    int bits = -1;
                    if (parameter.Value is not null && !TryWindowBits(parameter.Value, out bits))
                    {
                        error = $"'{parameter}' is not a window size from 8 to 15 (RFC 7692 §7.1.2)";
                        return null;
                    }
                    // §7.1.2.1: server_max_window_bits in an offer has a value.
                    if (bits == -1 && parameter.Name.Equals(ServerMaxWindowBits, StringComparison.OrdinalIgnoreCase))
                    {
                        error = "'server_max_window_bits' has no value (RFC 7692 §7.1.2.1)";
                        return null;
                    }
                    if (parameter.Name.Equals(ServerMaxWindowBits, StringComparison.OrdinalIgnoreCase))
                        serverBits = bits;
                    else
                        clientBits = bits;
                    break;
                default:
                    error = $"unknown parameter '{parameter.Name}' (RFC 7692 §7: declined)";
                    return null;
            }
        }
        return (serverNct, clientNct, serverBits, clientBits);
    }

    /// <summary>§7.1.2: "1*DIGIT" from 8 to 15, no leading zero.</summary>
    private static bool TryWindowBits(string value, out int bits)
    {
        bits = 0;
        if (value.Length is < 1 or > 2 || value[0] == '0' || !value.All(char.IsAsciiDigit))
            return false;
        bits = int.Parse(value, CultureInfo.InvariantCulture);
        return bits is >= MinWindowBits and <= MaxWindowBits;
    }
}
