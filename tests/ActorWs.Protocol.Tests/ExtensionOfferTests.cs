using System.Text;
using static ActorWs.Protocol.Tests.DoorRequests;

namespace ActorWs.Protocol.Tests;

/// <summary>The extensions a client offers, read by the grammar of RFC 6455 §9.1.</summary>
public class ExtensionOfferTests
{
    private static IReadOnlyList<WebSocketExtension> Offers(params string[] lines) =>
        View(Upgrade("/chat", lines.Select(l => $"Sec-WebSocket-Extensions: {l}"))).Extensions;

    [Fact]
    public void Permessage_deflate_offer_as_browsers_send_it()
    {
        // RFC 7692 §7: "permessage-deflate; client_max_window_bits", a parameter without a value.
        var offer = Assert.Single(Offers("permessage-deflate; client_max_window_bits"));
        Assert.Equal("permessage-deflate", offer.Name);
        Assert.Equal([new ExtensionParameter("client_max_window_bits", null)], offer.Parameters);
        Assert.Equal("permessage-deflate; client_max_window_bits", offer.ToString());
    }

    [Fact]
    public void Several_offers_over_several_lines_keep_their_order_and_repeated_names()
    {
        // §9.1: the same extension may be offered twice as alternatives, in order of preference (RFC 7692 §5).
        var offers = Offers(
            "permessage-deflate; client_max_window_bits=10; server_no_context_takeover, permessage-deflate",
            "x-webkit-deflate-frame");
        Assert.Equal(["permessage-deflate", "permessage-deflate", "x-webkit-deflate-frame"], offers.Select(o => o.Name));
        Assert.Equal(
            [new ExtensionParameter("client_max_window_bits", "10"), new ExtensionParameter("server_no_context_takeover", null)],
            offers[0].Parameters);
        Assert.Empty(offers[1].Parameters);
        Assert.Equal("permessage-deflate; client_max_window_bits=10; server_no_context_takeover", offers[0].ToString());
    }

    [Fact]
    public void Quoted_values_are_unquoted()
    {
        // §9.1: extension-param = token [ "=" (token | quoted-string) ].
        var offer = Assert.Single(Offers("foo; bar=\"baz\"; esc=\"b\\az\"; n=\"10\""));
        Assert.Equal(["baz", "baz", "10"], offer.Parameters.Select(p => p.Value));
    }

    [Fact]
    public void Whitespace_around_separators_and_empty_elements_are_accepted()
    {
        var offers = Offers(" foo ;bar = 1 ;\tbaz , , qux ");
        Assert.Equal(["foo", "qux"], offers.Select(o => o.Name));
        Assert.Equal([new ExtensionParameter("bar", "1"), new ExtensionParameter("baz", null)], offers[0].Parameters);
    }

    [Theory]
    [InlineData("")]                        // 1#extension
    [InlineData(";")]
    [InlineData("foo;")]                    // a parameter with no name
    [InlineData("foo; =1")]
    [InlineData("foo; bar=")]               // '=' with no value
    [InlineData("foo bar")]
    [InlineData("foo; bar=\"a b\"")]        // §9.1: the unquoted value "MUST conform to the 'token' ABNF"
    [InlineData("foo; bar=\"\"")]
    [InlineData("foo; bar=\"open")]
    [InlineData("foo; bar=a b")]
    [InlineData("foo/1")]
    [InlineData("fôo")]
    public void Malformed_offer_is_a_400_violation(string line)
    {
        var violation = ViewViolation(Upgrade("/chat", $"Sec-WebSocket-Extensions: {line}"));
        Assert.Equal(ViolationKind.ExtensionsMalformed, violation.Kind);
        Assert.Equal(400, violation.HttpStatus);
    }

    [Fact]
    public void Offered_extensions_are_declined_by_sending_none()
    {
        // The core negotiates no extension: the 101 names none (§9.1: the server lists those it accepts).
        var accepted = ServerHandshake.Accept(Upgrade("/chat", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"),
            new ServerHandshakePolicy());
        Assert.True(accepted.IsComplete, accepted.Violation?.ToString());
        Assert.DoesNotContain("Sec-WebSocket-Extensions", Encoding.ASCII.GetString(accepted.Value.Response));
    }
}
