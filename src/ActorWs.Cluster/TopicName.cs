namespace ActorWs.Cluster;

/// <summary>
/// What a topic may be called. DistributedPubSub makes each topic an actor on every node that has
/// subscribers, named after the topic, and gossips every name to every node: a name is part of the
/// cluster's state, so it is kept short and plain. Allowed: 1 to <see cref="TopicSettings.MaxNameLength"/>
/// characters among ASCII letters, digits and <c>- _ . :</c>.
/// </summary>
public static class TopicName
{
    /// <summary>Whether <paramref name="name"/> may be a topic; when not, <paramref name="why"/> says why
    /// in a sentence fit for the peer that asked for it.</summary>
    public static bool IsValid(string? name, int maxLength, out string why)
    {
        if (string.IsNullOrEmpty(name))
        {
            why = "a topic name is empty";
            return false;
        }
        if (name.Length > maxLength)
        {
            why = $"topic name '{name[..Math.Min(20, name.Length)]}…' is {name.Length} characters long; at most {maxLength} are allowed";
            return false;
        }
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (!IsAllowed(c))
            {
                why = $"topic name '{Printable(name)}' has the forbidden character {Describe(c)} at position {i + 1}; allowed are ASCII letters, digits and - _ . :";
                return false;
            }
        }
        why = "";
        return true;
    }

    /// <summary>Returns <paramref name="name"/> when it may be a topic; throws a <see cref="TopicNameException"/> saying why otherwise.</summary>
    public static string Validate(string? name, int maxLength) =>
        IsValid(name, maxLength, out var why) ? name! : throw new TopicNameException(why);

    private static bool IsAllowed(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_' or '.' or ':';

    private static string Describe(char c) => c is >= ' ' and < '\u007f' ? $"'{c}'" : $"U+{(int)c:X4}";

    // A name that failed may hold control characters: they must not reach a log line as they are.
    private static string Printable(string name) =>
        new(name.Take(40).Select(c => c is >= ' ' and < '\u007f' ? c : '?').ToArray());
}

/// <summary>A topic name that is empty, too long or has a forbidden character (see <see cref="TopicName"/>).</summary>
public sealed class TopicNameException(string message) : ArgumentException(message);
