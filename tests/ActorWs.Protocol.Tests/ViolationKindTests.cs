namespace ActorWs.Protocol.Tests;

/// <summary>What each kind of violation calls for: the close code (RFC 6455 §7.4.1) and, in the
/// opening handshake, the HTTP status (§4.2.1, §4.2.2).</summary>
public class ViolationKindTests
{
    public static TheoryData<ViolationKind> AllKinds() => new(Enum.GetValues<ViolationKind>());

    [Theory]
    [InlineData(ViolationKind.FrameTooBig, CloseCodes.MessageTooBig)]
    [InlineData(ViolationKind.MessageTooBig, CloseCodes.MessageTooBig)]
    [InlineData(ViolationKind.TooManyFragments, CloseCodes.MessageTooBig)]
    [InlineData(ViolationKind.InvalidUtf8Text, CloseCodes.InvalidPayloadData)]
    [InlineData(ViolationKind.InvalidUtf8CloseReason, CloseCodes.InvalidPayloadData)]
    [InlineData(ViolationKind.UnmaskedClientFrame, CloseCodes.ProtocolError)]
    [InlineData(ViolationKind.UnexpectedContinuation, CloseCodes.ProtocolError)]
    [InlineData(ViolationKind.InvalidCloseCode, CloseCodes.ProtocolError)]
    [InlineData(ViolationKind.KeyMissing, CloseCodes.AbnormalClosure)]
    [InlineData(ViolationKind.AcceptMismatch, CloseCodes.AbnormalClosure)]
    public void Close_code_follows_the_kind(ViolationKind kind, ushort code)
    {
        // §7.4.1: 1009 for a limit, 1007 for data inconsistent with its type, 1002 otherwise.
        Assert.Equal(code, new ProtocolViolation(kind, "x").CloseCode);
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Every_kind_has_a_close_code_and_only_the_handshake_reports_1006(ViolationKind kind)
    {
        // Before the connection is open there is no close frame: the failure is reported locally as 1006.
        ushort code = kind.CloseCode();
        Assert.Contains(code, new[] { CloseCodes.ProtocolError, CloseCodes.InvalidPayloadData, CloseCodes.MessageTooBig, CloseCodes.AbnormalClosure });
        Assert.Equal(kind.IsHandshake(), code == CloseCodes.AbnormalClosure);
    }

    [Theory]
    [InlineData(ViolationKind.HeadTooLarge, 431)]
    [InlineData(ViolationKind.NotHttp, 400)]
    [InlineData(ViolationKind.MalformedHead, 400)]
    [InlineData(ViolationKind.MethodNotGet, 405)]
    [InlineData(ViolationKind.HttpVersionTooOld, 400)]
    [InlineData(ViolationKind.HostMissing, 400)]
    [InlineData(ViolationKind.HostDuplicated, 400)]
    [InlineData(ViolationKind.UpgradeMissing, 426)]
    [InlineData(ViolationKind.ConnectionUpgradeMissing, 400)]
    [InlineData(ViolationKind.UnsupportedVersion, 426)]
    [InlineData(ViolationKind.KeyMissing, 400)]
    [InlineData(ViolationKind.KeyDuplicated, 400)]
    [InlineData(ViolationKind.KeyInvalid, 400)]
    [InlineData(ViolationKind.PathNotFound, 404)]
    [InlineData(ViolationKind.OriginNotAllowed, 403)]
    public void A_bad_request_is_answered_with_the_status_of_its_kind(ViolationKind kind, int status)
    {
        var rejection = new HandshakeRejection(new ProtocolViolation(kind, "why"));
        Assert.Equal(status, rejection.StatusCode);
        Assert.Equal(kind, rejection.Kind);
        Assert.StartsWith($"HTTP/1.1 {status} ", System.Text.Encoding.ASCII.GetString(rejection.ToResponse()));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Only_the_opening_handshake_is_answered_in_HTTP(ViolationKind kind)
    {
        bool clientSide = kind is ViolationKind.StatusNot101 or ViolationKind.ResponseUpgradeMissing
            or ViolationKind.ResponseConnectionUpgradeMissing or ViolationKind.AcceptMismatch
            or ViolationKind.UnrequestedExtension or ViolationKind.UnrequestedSubprotocol;
        Assert.Equal(kind.IsHandshake() && !clientSide, kind.HttpStatus() is not null);
    }
}
