using System.Text;
using static ActorWs.Protocol.Tests.DoorRequests;

namespace ActorWs.Protocol.Tests;

/// <summary>Subprotocols: the client's offer, the server's choice, the client's check
/// (RFC 6455 §1.9, §4.1, §4.2.2, §11.3.4).</summary>
public class SubprotocolNegotiationTests
{
    private const string TokenCharacters = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static IReadOnlyList<string> Offer(params string[] lines) =>
        View(Upgrade("/chat", lines.Select(l => $"Sec-WebSocket-Protocol: {l}"))).Subprotocols;

    private static ProtocolViolation OfferViolation(params string[] lines) =>
        ViewViolation(Upgrade("/chat", lines.Select(l => $"Sec-WebSocket-Protocol: {l}")));

    private static ViolationKind? Check(ClientHandshake client, params string[] extra) =>
        client.Validate(SwitchingProtocols(client, extra)).Violation?.Kind;

    [Fact]
    public void Rfc_1_9_offer_chat_superchat_is_read_in_the_clients_order_of_preference()
    {
        // §1.3 / §1.9: "Sec-WebSocket-Protocol: chat, superchat"; §4.1 item 10: "ordered by preference".
        Assert.Equal(["chat", "superchat"], Offer("chat, superchat"));
        Assert.Equal(["superchat", "chat"], Offer("superchat, chat"));
        Assert.Empty(Offer());
    }

    [Fact]
    public void An_offer_over_several_header_lines_is_one_list()
    {
        // §11.3.4: "MAY appear multiple times in an HTTP request (which is logically the same as a
        // single |Sec-WebSocket-Protocol| header field that contains all values)".
        Assert.Equal(["chat", "superchat", "v2.proto"], Offer("chat", "superchat, v2.proto"));
    }

    [Theory]
    [InlineData("chat, , superchat")]
    [InlineData(",chat,superchat,")]
    [InlineData("  chat\t,superchat  ")]
    public void Empty_list_elements_and_whitespace_are_skipped(string line)
    {
        // RFC 9110 §5.6.1: a recipient MUST accept empty list elements; OWS around commas (§5.6.3).
        Assert.Equal(["chat", "superchat"], Offer(line));
    }

    [Theory]
    [InlineData("")]                 // 1#token: at least one name
    [InlineData(" , ,")]
    [InlineData("chat superchat")]   // a space is no separator of names
    [InlineData("\"chat\"")]         // quoted-string is not a token
    [InlineData("chat/1.0")]         // '/' is a delimiter (RFC 9110 §5.6.2)
    [InlineData("chat;q=1")]
    [InlineData("mail@example")]
    [InlineData("{json}")]
    [InlineData("café")]             // outside U+0021–U+007E (§4.1)
    public void Malformed_offer_is_a_400_violation(string line)
    {
        var violation = OfferViolation(line);
        Assert.Equal(ViolationKind.SubprotocolMalformed, violation.Kind);
        Assert.Equal(400, violation.HttpStatus);
        Assert.Contains("§", violation.Reason);
        // The server's answer to it.
        var accept = ServerHandshake.Accept(Upgrade("/chat", $"Sec-WebSocket-Protocol: {line}"), new ServerHandshakePolicy());
        Assert.Equal(ViolationKind.SubprotocolMalformed, accept.Violation?.Kind);
        var response = Encoding.ASCII.GetString(new HandshakeRejection(accept.Violation!).ToResponse());
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", response);
    }

    [Fact]
    public void A_malformed_line_fails_the_offer_even_beside_valid_ones_but_an_empty_line_adds_nothing()
    {
        Assert.Equal(ViolationKind.SubprotocolMalformed, OfferViolation("chat", "bad value").Kind);
        // §11.3.4: the lines are one list, "chat, " here, which names one subprotocol.
        Assert.Equal(["chat"], Offer("chat", ""));
    }

    [Theory]
    [InlineData("chat, chat")]
    [InlineData("chat, superchat, chat")]
    public void A_name_offered_twice_is_a_400_violation(string line)
    {
        // §4.1 item 10: the names "MUST all be unique strings". Refused, not ignored: a client that
        // breaks a MUST of the handshake gets 400 (§4.2.1), as with Node's ws.
        var violation = OfferViolation(line);
        Assert.Equal(ViolationKind.SubprotocolDuplicated, violation.Kind);
        Assert.Equal(400, violation.HttpStatus);
    }

    [Fact]
    public void A_name_offered_again_on_another_line_is_a_duplicate_too()
    {
        Assert.Equal(ViolationKind.SubprotocolDuplicated, OfferViolation("chat", "superchat, chat").Kind);
    }

    [Fact]
    public void Names_differing_only_in_case_are_different_names()
    {
        // No case folding is defined for subprotocol names (§4.1, §11.3.4).
        Assert.Equal(["chat", "Chat", "CHAT"], Offer("chat, Chat, CHAT"));
        Assert.Null(Subprotocols.SelectFirstSupported(["chat"], ["CHAT"]));
    }

    [Theory]
    [InlineData(new[] { "chat", "superchat" }, new[] { "superchat", "chat" }, "chat")]
    [InlineData(new[] { "chat", "superchat" }, new[] { "superchat" }, "superchat")]
    [InlineData(new[] { "superchat", "chat" }, new[] { "chat", "superchat" }, "superchat")]
    [InlineData(new[] { "chat", "superchat" }, new[] { "mqtt" }, null)]
    [InlineData(new[] { "chat" }, new string[0], null)]
    [InlineData(new string[0], new[] { "chat" }, null)]
    public void Default_selector_picks_the_clients_most_preferred_name_the_server_supports(string[] offered, string[] supported, string? chosen)
    {
        // §4.2.2 /subprotocol/: one of the client's values that the server is willing to use, or null;
        // §4.1: the client's list is "ordered by preference", so its order wins, not the server's.
        Assert.Equal(chosen, Subprotocols.SelectFirstSupported(offered, supported));
        Assert.Equal(chosen, Subprotocols.SelectFirstSupported(offered, supported.ToHashSet()));
    }

    [Fact]
    public void Rfc_1_3_sample_the_server_selects_chat_and_echoes_it()
    {
        // §1.3: the client offers "chat, superchat"; the server answers "Sec-WebSocket-Protocol: chat".
        var policy = new ServerHandshakePolicy(Subprotocols: ["superchat", "chat"]);
        var accepted = ServerHandshake.Accept(Upgrade("/chat", "Sec-WebSocket-Protocol: chat, superchat"), policy);
        Assert.True(accepted.IsComplete, accepted.Violation?.ToString());
        Assert.Equal("chat", accepted.Value.Subprotocol);
        var response = Encoding.ASCII.GetString(accepted.Value.Response);
        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            $"Sec-WebSocket-Accept: {SampleAccept}\r\n" +
            "Sec-WebSocket-Protocol: chat\r\n\r\n", response);
    }

    [Fact]
    public void No_name_in_common_sends_no_subprotocol_header()
    {
        // §4.2.2: "if the server does not wish to agree to one of the suggested subprotocols, it MUST
        // NOT send back a |Sec-WebSocket-Protocol| header field".
        var policy = new ServerHandshakePolicy(Subprotocols: ["mqtt"]);
        var accepted = ServerHandshake.Accept(Upgrade("/chat", "Sec-WebSocket-Protocol: chat, superchat"), policy);
        Assert.True(accepted.IsComplete);
        Assert.Null(accepted.Value.Subprotocol);
        Assert.DoesNotContain("Sec-WebSocket-Protocol", Encoding.ASCII.GetString(accepted.Value.Response));
    }

    [Fact]
    public void Without_a_subprotocol_policy_none_is_chosen_even_when_offered()
    {
        // The behaviour the actor layer keeps: nothing chosen.
        var accepted = ServerHandshake.Accept(Upgrade("/chat", "Sec-WebSocket-Protocol: chat"), new ServerHandshakePolicy());
        Assert.True(accepted.IsComplete);
        Assert.Null(accepted.Value.Subprotocol);
        Assert.Null(HttpHead.Parse(accepted.Value.Response).Value!["Sec-WebSocket-Protocol"]);
    }

    [Fact]
    public void The_application_may_choose_any_offered_name_not_only_the_first()
    {
        var pending = Pending(Upgrade("/chat", "Sec-WebSocket-Protocol: chat, superchat"));
        Assert.Equal("chat", pending.SelectSubprotocol(["superchat", "chat"]));
        var accepted = pending.Accept("superchat");
        Assert.Equal("superchat", accepted.Subprotocol);
        Assert.Equal("superchat", HttpHead.Parse(accepted.Response).Value!["Sec-WebSocket-Protocol"]);
    }

    [Theory]
    [InlineData("chat, superchat", "mqtt")]
    [InlineData("chat, superchat", "Chat")]          // exact match, case included
    [InlineData("chat, superchat", "chat, superchat")]
    [InlineData("chat", "")]                         // §4.2.2: the empty string "is not a legal value"
    [InlineData(null, "chat")]                       // none offered: the only acceptable value is null
    public void Choosing_a_name_the_client_did_not_offer_is_the_applications_mistake(string? offer, string chosen)
    {
        var pending = Pending(offer is null ? Upgrade() : Upgrade("/chat", $"Sec-WebSocket-Protocol: {offer}"));
        var error = Assert.Throws<ArgumentException>(() => pending.Accept(chosen));
        Assert.Equal("subprotocol", error.ParamName);
    }

    [Fact]
    public void Client_sends_its_offer_in_one_field_in_its_order()
    {
        // §4.1 item 10, §1.9.
        var client = ClientHandshake.Create(new Uri("ws://example.com/chat"), subprotocols: ["chat", "superchat"]);
        Assert.Equal(["chat", "superchat"], client.Subprotocols);
        var head = HttpHead.Parse(client.Request).Value!;
        Assert.Equal("chat, superchat", head["Sec-WebSocket-Protocol"]);
        Assert.Equal(["chat", "superchat"], View(client.Request).Subprotocols);
        // No offer, no field (as before).
        var plain = ClientHandshake.Create(new Uri("ws://example.com/chat"));
        Assert.Empty(plain.Subprotocols);
        Assert.Null(HttpHead.Parse(plain.Request).Value!["Sec-WebSocket-Protocol"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("a,b")]
    [InlineData("chat\r\nX-Evil: 1")]
    [InlineData("café")]
    [InlineData(null)]
    public void Client_refuses_to_offer_a_name_that_is_not_a_token(string? name)
    {
        Assert.Throws<ArgumentException>(() => ClientHandshake.Create(new Uri("ws://example.com/"), subprotocols: ["chat", name!]));
        Assert.Throws<ArgumentException>(() => Subprotocols.FormatOffer(["chat", name!]));
        Assert.False(Subprotocols.IsValidName(name));
    }

    [Fact]
    public void Client_refuses_to_offer_a_name_twice()
    {
        // §4.1 item 10: "MUST all be unique strings".
        Assert.Throws<ArgumentException>(() => ClientHandshake.Create(new Uri("ws://example.com/"), subprotocols: ["chat", "superchat", "chat"]));
        Assert.Throws<ArgumentException>(() => Subprotocols.FormatOffer(["chat", "chat"]));
        Assert.Throws<ArgumentException>(() => Subprotocols.FormatOffer([]));
        Assert.Equal("chat, Chat", Subprotocols.FormatOffer(["chat", "Chat"]));
    }

    [Fact]
    public void Client_validation_returns_the_subprotocol_the_server_chose()
    {
        var client = ClientHandshake.Create(new Uri("ws://example.com/chat"), subprotocols: ["chat", "superchat"]);
        var validated = client.Validate(SwitchingProtocols(client, "Sec-WebSocket-Protocol: superchat"));
        Assert.True(validated.IsComplete, validated.Violation?.ToString());
        Assert.Equal("superchat", validated.Value.Subprotocol);
    }

    [Fact]
    public void Client_accepts_a_server_that_chooses_none_of_the_offer()
    {
        // §4.2.2: null is always a legal choice; §4.1 check 6 only fails a subprotocol not offered.
        var client = ClientHandshake.Create(new Uri("ws://example.com/chat"), subprotocols: ["chat"]);
        var validated = client.Validate(SwitchingProtocols(client));
        Assert.True(validated.IsComplete, validated.Violation?.ToString());
        Assert.Null(validated.Value.Subprotocol);
    }

    [Theory]
    [InlineData("Sec-WebSocket-Protocol: mqtt")]                    // not offered
    [InlineData("Sec-WebSocket-Protocol: Chat")]                    // not offered, exactly
    [InlineData("Sec-WebSocket-Protocol: chat, superchat")]         // a list: the server's value is one token (§11.3.4)
    [InlineData("Sec-WebSocket-Protocol: ")]                        // §4.2.2: the empty string is not a legal value
    public void Client_fails_a_subprotocol_it_did_not_offer(string line)
    {
        // §4.1, check 6.
        var client = ClientHandshake.Create(new Uri("ws://example.com/chat"), subprotocols: ["chat", "superchat"]);
        Assert.Equal(ViolationKind.UnrequestedSubprotocol, Check(client, line));
    }

    [Fact]
    public void Client_fails_a_subprotocol_field_sent_twice()
    {
        // §11.3.4: it "MUST NOT appear more than once in an HTTP response".
        var client = ClientHandshake.Create(new Uri("ws://example.com/chat"), subprotocols: ["chat", "superchat"]);
        Assert.Equal(ViolationKind.UnrequestedSubprotocol, Check(client, "Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Protocol: chat"));
    }

    [Fact]
    public void Client_that_offered_none_fails_any_subprotocol()
    {
        // §4.2.2: "If the client's handshake did not contain such a header field ... the only acceptable value is null".
        var client = ClientHandshake.Create(new Uri("ws://example.com/chat"));
        Assert.Equal(ViolationKind.UnrequestedSubprotocol, Check(client, "Sec-WebSocket-Protocol: chat"));
    }

    [Fact]
    public void Offer_and_choice_round_trip_between_our_client_and_our_server()
    {
        var client = ClientHandshake.Create(new Uri("ws://localhost/ws"), subprotocols: ["v3.chat", "v2.chat"]);
        var accepted = ServerHandshake.Accept(client.Request, new ServerHandshakePolicy("/ws", Subprotocols: ["v1.chat", "v2.chat"]));
        Assert.True(accepted.IsComplete, accepted.Violation?.ToString());
        var validated = client.Validate(accepted.Value.Response);
        Assert.True(validated.IsComplete, validated.Violation?.ToString());
        Assert.Equal("v2.chat", validated.Value.Subprotocol);
        Assert.Equal(accepted.Value.Subprotocol, validated.Value.Subprotocol);
    }

    [Fact]
    public void Random_token_lists_round_trip_through_the_header_and_back()
    {
        // Property: any list of distinct tokens, written by the client, reads back the same, in order;
        // written by hand with random whitespace, empty elements and line splits, too (RFC 9110 §5.6.1).
        var random = new Random(1_9);
        for (int i = 0; i < 500; i++)
        {
            var names = Enumerable.Range(0, random.Next(1, 25))
                .Select(_ => new string(Enumerable.Range(0, random.Next(1, 12)).Select(_ => TokenCharacters[random.Next(TokenCharacters.Length)]).ToArray()))
                .Distinct(StringComparer.Ordinal).ToArray();
            Assert.All(names, name => Assert.True(Subprotocols.IsValidName(name)));

            var client = ClientHandshake.Create(new Uri("ws://example.com/"), subprotocols: names);
            Assert.Equal(names, View(client.Request).Subprotocols);

            var lines = new List<string>();
            var line = new StringBuilder();
            foreach (var name in names)
            {
                if (random.Next(4) == 0 && line.Length > 0)
                {
                    lines.Add(line.ToString());
                    line.Clear();
                }
                string Ows() => new string(' ', random.Next(3)) + (random.Next(5) == 0 ? "\t" : "");
                if (random.Next(6) == 0)
                    line.Append(Ows()).Append(',');      // an empty element
                line.Append(Ows()).Append(name).Append(Ows()).Append(',');
            }
            lines.Add(line.ToString());
            Assert.Equal(names, Subprotocols.ParseOffer(lines).Value!);
            // And the default selector picks, of any supported subset, the first in the client's order.
            var supported = names.Where(_ => random.Next(3) == 0).ToArray();
            Assert.Equal(names.FirstOrDefault(supported.Contains), Subprotocols.SelectFirstSupported(names, supported));
        }
    }

    [Fact]
    public void Thousands_of_offered_subprotocols_are_bounded_by_the_head_size_limit()
    {
        // A hostile offer is bounded by the head reader (8 KiB by default, handshake.max-head-size):
        // 431 before any of it is parsed or compared.
        var names = Enumerable.Range(0, 5000).Select(i => $"proto{i}").ToArray();
        var client = ClientHandshake.Create(new Uri("ws://example.com/"), subprotocols: names);
        Assert.True(client.Request.Length > 8 * 1024);
        using var reader = new HttpHeadReader(8 * 1024, HttpHeadKind.Request);
        var read = reader.Feed(client.Request);
        Assert.Equal(ViolationKind.HeadTooLarge, read.Violation?.Kind);
        Assert.Equal(431, read.Violation?.HttpStatus);
        Assert.True(reader.Length <= 8 * 1024);
    }

    [Fact]
    public void A_large_offer_within_the_limit_is_read_and_selected()
    {
        // Up to the largest head allowed (1 MiB). The duplicate check is a hash set, not a quadratic
        // scan; no clock is read here (a bound on time is a bound on the machine): a quadratic check
        // would make this test take minutes, which a reviewer of the suite's durations sees.
        var names = Enumerable.Range(0, 100_000).Select(i => $"p{i}").ToArray();
        var line = string.Join(",", names);
        var offer = Subprotocols.ParseOffer([line]);
        Assert.True(offer.IsComplete);
        Assert.Equal(names.Length, offer.Value.Count);
        Assert.Equal("p99999", Subprotocols.SelectFirstSupported(offer.Value, ["p99999"]));
        Assert.Equal(ViolationKind.SubprotocolDuplicated, Subprotocols.ParseOffer([line + ",p0"]).Violation?.Kind);
    }
}
