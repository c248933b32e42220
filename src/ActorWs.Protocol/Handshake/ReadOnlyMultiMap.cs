using System.Collections;
using System.Collections.Immutable;

namespace ActorWs.Protocol;

/// <summary>
/// Name–value pairs in the order they came, a name possibly more than once: header fields (names
/// case-insensitive, RFC 9110 §5.1, §5.3), query parameters and cookies (names case-sensitive).
/// Immutable, so it may be handed to any code: nothing it returns changes it.
/// </summary>
public sealed class ReadOnlyMultiMap : IReadOnlyList<KeyValuePair<string, string>>
{
    private readonly ImmutableArray<KeyValuePair<string, string>> _pairs;
    private readonly StringComparison _comparison;

    internal ReadOnlyMultiMap(IEnumerable<KeyValuePair<string, string>> pairs, bool ignoreCase)
    {
        _pairs = [.. pairs];
        _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
    }

    /// <summary>Whether names are compared without regard to ASCII case (as header names are).</summary>
    public bool IgnoresCase => _comparison == StringComparison.OrdinalIgnoreCase;

    /// <summary>How many pairs there are, repeated names counted each time.</summary>
    public int Count => _pairs.Length;

    /// <summary>The pair at <paramref name="index"/>, in the order they came.</summary>
    public KeyValuePair<string, string> this[int index] => _pairs[index];

    /// <summary>
    /// The value when <paramref name="name"/> appears exactly once; null when it is absent or
    /// repeated. A repeated name is ambiguous (which one wins differs between implementations, the
    /// root of HTTP parameter pollution and of request smuggling with a doubled field), so it is
    /// never silently resolved here: <see cref="Values"/> has them all.
    /// </summary>
    public string? this[string name] => Single(name, out _);

    /// <summary>The value when <paramref name="name"/> appears exactly once, else null; <paramref name="count"/> says how often it appears.</summary>
    public string? Single(string name, out int count)
    {
        string? value = null;
        count = 0;
        foreach (var pair in _pairs)
        {
            if (pair.Key.Equals(name, _comparison))
            {
                value = pair.Value;
                count++;
            }
        }
        return count == 1 ? value : null;
    }

    /// <summary>Every value of <paramref name="name"/>, in order; empty when it is absent.</summary>
    public IReadOnlyList<string> Values(string name)
    {
        var values = ImmutableArray.CreateBuilder<string>();
        foreach (var pair in _pairs)
        {
            if (pair.Key.Equals(name, _comparison))
                values.Add(pair.Value);
        }
        return values.ToImmutable();
    }

    /// <summary>Whether <paramref name="name"/> appears at all.</summary>
    public bool Contains(string name)
    {
        foreach (var pair in _pairs)
        {
            if (pair.Key.Equals(name, _comparison))
                return true;
        }
        return false;
    }

    /// <summary>The distinct names, in the order of their first appearance (spelled as they first came).</summary>
    public IReadOnlyList<string> Names => [.. _pairs.Select(p => p.Key).Distinct(IgnoresCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal)];

    /// <summary>
    /// For a header field whose value is a comma-separated list (RFC 9110 §5.6.1), such as
    /// Connection or Upgrade: whether any of its lines lists <paramref name="token"/>, compared
    /// without regard to ASCII case (RFC 6455 §4.2.1 items 3 and 4).
    /// </summary>
    public bool HasToken(string name, string token)
    {
        foreach (var value in Values(name))
        {
            foreach (var element in value.Split(','))
            {
                if (element.Trim(' ', '\t').Equals(token, StringComparison.OrdinalIgnoreCase))
                    return true;
            }
        }
        return false;
    }

    /// <summary>The pairs in order.</summary>
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)_pairs).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
