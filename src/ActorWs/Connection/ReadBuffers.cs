using System.Runtime.CompilerServices;
using Akka.IO;

namespace ActorWs.Connection;

/// <summary>
/// The array under a <see cref="Tcp.Received"/>'s bytes. The socket actors (SocketConnection,
/// TlsConnection) hand each read over in an array of its own that they never touch again, wrapped
/// without a copy (<see cref="ByteString.FromBytes(byte[], int, int)"/>); the reader may then
/// unmask it in place and lend slices of it. Akka.NET 1.5 keeps a ByteString's buffers internal,
/// so they are read through an accessor the runtime checks (a field that is gone is a
/// <see cref="MissingFieldException"/> at the first read, caught here: the bytes are then copied,
/// which is correct, only slower; the lending tests would show it).
/// </summary>
internal static class ReadBuffers
{
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_buffers")]
    private static extern ref ArraySegment<byte>[] BuffersOf(ByteString bytes);

    private static bool _accessorMissing;

    /// <summary>The bytes as one array segment: the very array read into when they lie in one,
    /// else a copy (a ByteString joined from several reads, such as the handshake's leftover).</summary>
    public static ArraySegment<byte> Segment(ByteString data)
    {
        if (!_accessorMissing)
        {
            try
            {
                var buffers = BuffersOf(data);
                if (buffers is [var only] && only.Count == data.Count)
                    return only;
            }
            catch (MissingFieldException)
            {
                _accessorMissing = true;
            }
        }
        return new ArraySegment<byte>(data.ToArray());
    }
}
