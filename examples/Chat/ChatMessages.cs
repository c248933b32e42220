using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chat;

/// <summary>What the server sends a client, one JSON object per WebSocket text message.</summary>
internal sealed record ChatEvent(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("room")] string? Room = null,
    [property: JsonPropertyName("nick")] string? Nick = null,
    [property: JsonPropertyName("text")] string? Text = null,
    [property: JsonPropertyName("node")] string? Node = null)
{
    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public static ChatEvent? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<ChatEvent>(json, Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>How the command-line client prints it.</summary>
    public override string ToString() => Type switch
    {
        "message" => $"[{Room}] {Nick}: {Text}",
        "join" => $"* {Nick} joined {Room} (on {Node})",
        "leave" => $"* {Nick} left {Room}",
        "subscribed" => $"* you are in {Room}",
        "welcome" => $"* connected to {Node} as {Nick}",
        "error" => $"! {Text}",
        _ => ToJson(),
    };
}
