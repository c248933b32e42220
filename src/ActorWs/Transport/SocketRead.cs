namespace ActorWs.Transport;

/// <summary>
/// Bytes a socket actor (<see cref="SocketConnection"/>, <see cref="TlsConnection"/>) read, in an
/// array of their own that it hands over for good and never touches again: the reader may unmask
/// frames in it and lend slices of it (actorws.messages.lend, stream-over). The mirror image of
/// <see cref="GatherWrite"/>: Akka's <see cref="Akka.IO.Tcp.Received"/> can wrap an array without a
/// copy, but hands it out again only by copying, so the socket actors tell this event of ours
/// instead. Every actor that takes reads still takes <see cref="Akka.IO.Tcp.Received"/> too (the
/// tests' probe connections send it), whose bytes are then copied once into an array of their own.
/// </summary>
internal sealed class SocketRead(ArraySegment<byte> bytes)
{
    /// <summary>The bytes read; the receiver's to overwrite and give away.</summary>
    public ArraySegment<byte> Bytes { get; } = bytes;

    /// <summary>The bytes of a <see cref="Akka.IO.Tcp.Received"/> in an array of their own (a copy:
    /// its buffers are not ours to write).</summary>
    public static SocketRead CopyOf(Akka.IO.Tcp.Received received) => new(received.Data.ToArray());
}
