using static ActorWs.Protocol.Tests.DoorRequests;

namespace ActorWs.Protocol.Tests;

/// <summary>Negotiation of permessage-deflate, RFC 7692 §5 and §7.1, as acceptor (server) and offerer (client).</summary>
public class PerMessageDeflateNegotiationTests
{
    // The peer's context takeover allowed: the answers then show only what the offer itself asks for.
    private static readonly PerMessageDeflateOptions Defaults = PerMessageDeflateOptions.Default with { PeerContextTakeover = true };

    /// <summary>The server's answer to these Sec-WebSocket-Extensions lines, as its 101 states it; null for none.</summary>
    private static string? Answer(PerMessageDeflateOptions? options, params string[] offers)
    {
        var pending = Pending(Upgrade("/chat", offers.Select(o => $"Sec-WebSocket-Extensions: {o}")));
        var accepted = pending.Accept(null, null, options);
        var (head, _) = SplitResponse(accepted.Response);
        var values = head.Values(WebSocketExtension.HeaderName).ToList();
        Assert.Equal(accepted.Deflate?.ToString(), values.SingleOrDefault());
        return values.SingleOrDefault();
    }

    [Theory]
    // Browsers, ws and ClientWebSocket: a window hint the server need not act on (§7.1.2.2).
    [InlineData("permessage-deflate; client_max_window_bits", "permessage-deflate; server_no_context_takeover")]
    [InlineData("permessage-deflate", "permessage-deflate; server_no_context_takeover")]
    // §7.1.1.1: an offered server_no_context_takeover MUST be in the answer.
    [InlineData("permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover")]
    // §7.1.1.2: the client's hint that it resets is taken: its messages then keep no decompressor.
    [InlineData("permessage-deflate; client_no_context_takeover", "permessage-deflate; server_no_context_takeover; client_no_context_takeover")]
    // §7.1.2.1: an offered limit is answered with the same or smaller value; 15 is all .NET compresses with.
    [InlineData("permessage-deflate; server_max_window_bits=15", "permessage-deflate; server_no_context_takeover; server_max_window_bits=15")]
    [InlineData("permessage-deflate; client_max_window_bits=10", "permessage-deflate; server_no_context_takeover; client_max_window_bits=10")]
    [InlineData("PerMessage-Deflate; Server_No_Context_Takeover", "permessage-deflate; server_no_context_takeover")]
    public void Server_accepts_an_offer_with_the_parameters_the_RFC_requires(string offer, string answer) =>
        Assert.Equal(answer, Answer(Defaults, offer));

    [Theory]
    // Our compressor cannot use a smaller window: declined rather than violated (§7.1.2.1).
    [InlineData("permessage-deflate; server_max_window_bits=8")]
    [InlineData("permessage-deflate; server_max_window_bits=14")]
    // §7: unknown parameters, repeated ones and invalid values are declined.
    [InlineData("permessage-deflate; mystery")]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover")]
    [InlineData("permessage-deflate; server_no_context_takeover=1")]
    [InlineData("permessage-deflate; server_max_window_bits")]
    [InlineData("permessage-deflate; server_max_window_bits=16")]
    [InlineData("permessage-deflate; server_max_window_bits=7")]
    [InlineData("permessage-deflate; client_max_window_bits=010")]
    [InlineData("permessage-deflate; client_max_window_bits=abc")]
    [InlineData("x-webkit-deflate-frame")]
    public void Server_declines_an_offer_it_cannot_honour_and_goes_on_without_compression(string offer) =>
        Assert.Null(Answer(Defaults, offer));

    [Fact]
    public void Server_defaults_ask_every_client_to_reset_so_that_idle_connections_hold_no_decompressor()
    {
        // §7.1.1.2: the server MAY include client_no_context_takeover; the client MUST then reset.
        Assert.Equal("permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            Answer(PerMessageDeflateOptions.Default, "permessage-deflate; client_max_window_bits"));
    }

    [Fact]
    public void Server_takes_the_first_acceptable_of_several_offers_in_one_header()
    {
        // §5: offers in order of preference; the first that can be accepted is.
        Assert.Equal("permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            Answer(Defaults, "permessage-deflate; server_max_window_bits=10; client_no_context_takeover, permessage-deflate; client_no_context_takeover, permessage-deflate"));
        Assert.Equal("permessage-deflate; server_no_context_takeover",
            Answer(Defaults, "x-foo, permessage-deflate; server_max_window_bits=9", "permessage-deflate"));
    }

    [Fact]
    public void Server_reports_why_each_offer_before_the_accepted_one_was_declined()
    {
        var pending = Pending(Upgrade("/chat", ["Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=9, permessage-deflate; bogus, permessage-deflate"]));
        var accepted = pending.Accept(null, null, Defaults);
        Assert.NotNull(accepted.Deflate);
        Assert.Equal(2, accepted.DeclinedOffers.Count);
        Assert.Contains("15 bits", accepted.DeclinedOffers[0]);
        Assert.Contains("bogus", accepted.DeclinedOffers[1]);
    }

    [Fact]
    public void Server_without_compression_declines_every_offer()
    {
        Assert.Null(Answer(null, "permessage-deflate"));
        Assert.Null(Pending(Upgrade("/chat", ["Sec-WebSocket-Extensions: permessage-deflate"])).Accept().Deflate);
    }

    [Fact]
    public void Server_options_ask_the_client_for_less_memory()
    {
        var options = Defaults with { ContextTakeover = true, PeerContextTakeover = false, PeerMaxWindowBits = 10 };
        // With context takeover on, server_no_context_takeover is only sent when offered; the client's window is limited only if it offered the parameter (§7.1.2.2).
        Assert.Equal("permessage-deflate; client_no_context_takeover; client_max_window_bits=10", Answer(options, "permessage-deflate; client_max_window_bits"));
        Assert.Equal("permessage-deflate; client_no_context_takeover", Answer(options, "permessage-deflate"));
        Assert.Equal("permessage-deflate; client_no_context_takeover; client_max_window_bits=9", Answer(options, "permessage-deflate; client_max_window_bits=9"));
    }

    // ------------------------------------------------------------------ client

    private static ClientHandshake Client(PerMessageDeflateOptions? options) =>
        ClientHandshake.Create(new Uri("ws://example.com/chat"), null, null, null, options);

    private static string? OfferOf(ClientHandshake client)
    {
        var head = HttpHead.Parse(client.Request).Value;
        return head!.Values(WebSocketExtension.HeaderName).SingleOrDefault();
    }

    [Fact]
    public void Client_offers_permessage_deflate_with_its_own_reset_declared()
    {
        Assert.Equal("permessage-deflate; client_no_context_takeover", OfferOf(Client(Defaults)));
        Assert.Equal("permessage-deflate", OfferOf(Client(Defaults with { ContextTakeover = true })));
        Assert.Null(OfferOf(Client(null)));
    }

    [Fact]
    public void Client_defaults_ask_the_server_to_reset_with_a_plain_offer_as_fallback()
    {
        Assert.Equal("permessage-deflate; client_no_context_takeover; server_no_context_takeover, permessage-deflate; client_no_context_takeover",
            OfferOf(Client(PerMessageDeflateOptions.Default)));
    }

    [Fact]
    public void Client_asking_for_limits_offers_them_first_and_a_plain_offer_as_fallback()
    {
        Assert.Equal("permessage-deflate; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=10, permessage-deflate; client_no_context_takeover",
            OfferOf(Client(Defaults with { PeerContextTakeover = false, PeerMaxWindowBits = 10 })));
    }

    private static ProtocolResult<ValidatedResponse> Validate(ClientHandshake client, params string[] extensions) =>
        client.Validate(SwitchingProtocols(client, extensions.Select(e => $"Sec-WebSocket-Extensions: {e}")));

    [Theory]
    [InlineData("permessage-deflate", false, false, null)]
    [InlineData("permessage-deflate; server_no_context_takeover", true, false, null)]
    [InlineData("permessage-deflate; client_no_context_takeover", false, true, null)]
    // §7.1.2.1: the server may limit its own window unasked; a 15-bit inflater reads any.
    [InlineData("permessage-deflate; server_max_window_bits=9", false, false, 9)]
    [InlineData("permessage-deflate;server_no_context_takeover;client_no_context_takeover;server_max_window_bits=15", true, true, 15)]
    public void Client_accepts_an_answer_within_its_offer(string answer, bool serverNct, bool clientNct, int? serverBits)
    {
        var result = Validate(Client(Defaults), answer);
        Assert.True(result.IsComplete, result.Violation?.Reason);
        Assert.Equal(new DeflateParameters(serverNct, clientNct, serverBits, null), result.Value.Deflate);
    }

    [Fact]
    public void Client_that_heard_no_extension_goes_on_without_compression()
    {
        var result = Validate(Client(Defaults));
        Assert.True(result.IsComplete);
        Assert.Null(result.Value.Deflate);
    }

    [Theory]
    // §7.1.2.2: never offered, so never answered (and .NET could not honour it).
    [InlineData("permessage-deflate; client_max_window_bits=10")]
    [InlineData("permessage-deflate; client_max_window_bits")]
    [InlineData("permessage-deflate; mystery")]
    [InlineData("permessage-deflate; server_max_window_bits=16")]
    [InlineData("permessage-deflate; server_max_window_bits")]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover")]
    [InlineData("x-webkit-deflate-frame")]
    [InlineData("permessage-deflate, permessage-deflate")]
    public void Client_fails_an_answer_that_breaks_RFC_7692_or_its_offer(string answer)
    {
        var result = Validate(Client(Defaults), answer);
        Assert.Equal(ViolationKind.UnrequestedExtension, result.Violation?.Kind);
        Assert.Equal(CloseCodes.AbnormalClosure, result.Violation!.Kind.CloseCode());
    }

    [Fact]
    public void Client_that_offered_nothing_fails_any_extension()
    {
        Assert.Equal(ViolationKind.UnrequestedExtension, Validate(Client(null), "permessage-deflate").Violation?.Kind);
    }

    [Fact]
    public void Client_checks_the_strict_offer_limits_when_the_server_took_it()
    {
        var client = Client(Defaults with { PeerContextTakeover = false, PeerMaxWindowBits = 10 });
        Assert.True(Validate(client, "permessage-deflate; server_no_context_takeover; server_max_window_bits=10").IsComplete);
        // The fallback offer, taken plainly.
        Assert.True(Validate(client, "permessage-deflate").IsComplete);
        Assert.Equal(ViolationKind.UnrequestedExtension,
            Validate(client, "permessage-deflate; server_no_context_takeover; server_max_window_bits=12").Violation?.Kind);
    }

    [Fact]
    public void Agreement_is_the_extension_the_connection_reports()
    {
        var agreed = new DeflateParameters(true, false, 15, 10);
        Assert.Equal("permessage-deflate; server_no_context_takeover; server_max_window_bits=15; client_max_window_bits=10", agreed.ToString());
        Assert.Equal(PerMessageDeflate.Name, agreed.ToExtension().Name);
        Assert.True(agreed.NoContextTakeover(Role.Server));
        Assert.False(agreed.NoContextTakeover(Role.Client));
    }
}
