namespace ActorWs.Protocol;

/// <summary>Which end of the connection we are. The role decides masking (RFC 6455 §5.1, §5.3),
/// which side of the opening handshake we play (§4.1, §4.2) and who closes TCP first (§7.1.1).</summary>
public enum Role
{
    /// <summary>The endpoint that accepted the connection.</summary>
    Server,
    /// <summary>The endpoint that opened the connection.</summary>
    Client,
}
