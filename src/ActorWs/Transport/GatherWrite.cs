using Akka.IO;

namespace ActorWs.Transport;

/// <summary>
/// A write of several segments side by side, none of them copied: the writer's frame headers (and
/// small frames coalesced with them) in its own buffer, and the payloads an application lent it in
/// their own arrays. Akka's <see cref="ByteString"/> can wrap such segments without a copy, but it
/// does not hand them out again except by copying (<c>ToArray</c>), so the socket actors, which
/// give the segments to a gather send (<c>sendmsg</c> with an iovec each), get them in this command
/// of their own. Like <see cref="Tcp.Write"/> it is acknowledged with <see cref="Ack"/> once every
/// byte is with the OS, and answered with <see cref="Tcp.CommandFailed"/> when it cannot be.
/// </summary>
internal sealed class GatherWrite : Tcp.SimpleWriteCommand
{
    public GatherWrite(ArraySegment<byte>[] segments, Tcp.Event ack)
    {
        Segments = segments;
        Ack = ack;
        long bytes = 0;
        foreach (var segment in segments)
            bytes += segment.Count;
        Bytes = bytes;
    }

    /// <summary>The bytes in order; nobody changes them until the ack.</summary>
    public ArraySegment<byte>[] Segments { get; }

    /// <inheritdoc />
    public override Tcp.Event Ack { get; }

    /// <summary>The length of all segments together.</summary>
    public override long Bytes { get; }

    /// <summary>The same bytes as one ByteString over the same arrays (no copy), for whoever reads the
    /// write as a whole: tests that stand a probe in for the socket.</summary>
    public ByteString Data => ByteString.FromBytes(Segments);

    /// <summary>The segments that remain after the first <paramref name="sent"/> bytes.</summary>
    public static List<ArraySegment<byte>> After(ArraySegment<byte>[] segments, long sent)
    {
        var rest = new List<ArraySegment<byte>>(segments.Length);
        foreach (var segment in segments)
        {
            if (sent >= segment.Count)
            {
                sent -= segment.Count;
                continue;
            }
            rest.Add(sent == 0 ? segment : segment.Slice((int)sent));
            sent = 0;
        }
        return rest;
    }
}
