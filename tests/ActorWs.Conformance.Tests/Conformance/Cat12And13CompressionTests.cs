using System.IO.Compression;
using System.Text;
using Akka.Actor;
using ActorWs.Conformance.Tests.Support;
using ActorWs.Protocol;

namespace ActorWs.Conformance.Tests.Conformance;

/// <summary>
/// Autobahn categories 12 and 13, permessage-deflate (RFC 7692), in both roles. The raw peer
/// negotiates the extension itself (its offer or its answer written here, the answer ActorWs gives
/// checked as text), compresses with a plain <see cref="DeflateStream"/> (raw DEFLATE, sync flush,
/// the 4-byte tail removed, §7.2.1), sends each message (whole, or in frames of 256 bytes with
/// RSV1 on the first only, §6.1), and inflates ActorWs's echo with one reference decompressor
/// kept across messages (§7.2.2). Every echo must be the message, with RSV1 exactly when ActorWs
/// was to compress it (at least <c>compression.threshold</c>, 1 KiB). 12.*: messages of 16 B to
/// 128 KiB with the default offer; 13.*: the parameter combinations Autobahn offers (and, for the
/// client role, answers), including the ones ActorWs declines (a compressor window below 15 bits).
/// Autobahn sends 1,000 messages per case; these send 100 (20 from 32 KiB on) to keep the suite's time.
/// </summary>
public sealed class Cat12And13CompressionTests
{
    private const int Threshold = 1024;

    /// <param name="Offer">Server role: the client's Sec-WebSocket-Extensions.</param>
    /// <param name="Expected">Server role: ActorWs's answer, null for declined.</param>
    /// <param name="Answer">Client role: the server's answer to ActorWs's offer.</param>
    /// <param name="Binary">Binary messages (else text).</param>
    /// <param name="Random">Incompressible random bytes.</param>
    /// <param name="Fragment">Frame size of the peer's messages; 0 for one frame.</param>
    private sealed record Case(string Offer, string? Expected, string Answer, int Size, bool Binary = false, bool Random = false, int Fragment = 0)
    {
        public int Count => Size >= 32 * 1024 ? 20 : 100;
    }

    private const string DefaultOffer = "permessage-deflate; client_max_window_bits";
    // By default ActorWs asks the client to reset too (§7.1.1.2), so an idle connection keeps no decompressor.
    private const string DefaultAnswer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

    private static readonly Dictionary<string, Case> Cases = Build();

    public static TheoryData<string, Role> Data()
    {
        var data = new TheoryData<string, Role>();
        foreach (var name in Cases.Keys)
            foreach (var role in new[] { Role.Server, Role.Client })
                data.Add(name, role);
        return data;
    }

    private static Dictionary<string, Case> Build()
    {
        var cases = new Dictionary<string, Case>(StringComparer.Ordinal);
        int[] sizes = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072];
        for (int i = 0; i < sizes.Length; i++)
        {
            int size = sizes[i];
            cases.Add($"12.1.{i + 1} text of {size} B", new(DefaultOffer, DefaultAnswer, "permessage-deflate", size));
            cases.Add($"12.2.{i + 1} binary of {size} B", new(DefaultOffer, DefaultAnswer, "permessage-deflate", size, Binary: true));
            cases.Add($"12.3.{i + 1} text of {size} B in frames of 256 B", new(DefaultOffer, DefaultAnswer, "permessage-deflate", size, Fragment: 256));
            cases.Add($"12.4.{i + 1} binary of {size} B in frames of 256 B", new(DefaultOffer, DefaultAnswer, "permessage-deflate", size, Binary: true, Fragment: 256));
            cases.Add($"12.5.{i + 1} random binary of {size} B", new(DefaultOffer, DefaultAnswer, "permessage-deflate", size, Binary: true, Random: true));
        }
        // Autobahn's offers (no context takeover requested of the server?, its window bits requested):
        // with the client's own client_no_context_takeover and client_max_window_bits accepted.
        const string Own = "permessage-deflate; client_no_context_takeover; client_max_window_bits";
        const string Agreed = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
        (string Name, string Offer, string? Expected, string Answer, bool SmallWindow)[] combinations =
        [
            ("13.1 offer (no server reset, default window)", Own, Agreed, "permessage-deflate", false),
            ("13.2 offer (server_no_context_takeover)", $"{Own}; server_no_context_takeover", Agreed, "permessage-deflate; client_no_context_takeover", false),
            // .NET compresses with a 15-bit window only: declined rather than violated (§7.1.2.1).
            ("13.3 offer (server_max_window_bits=9), declined", $"{Own}; server_max_window_bits=9", null, "permessage-deflate; server_max_window_bits=9", true),
            ("13.4 offer (server_max_window_bits=15)", $"{Own}; server_max_window_bits=15", $"{Agreed}; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15", false),
            ("13.5 offer (server_no_context_takeover, server_max_window_bits=9), declined", $"{Own}; server_no_context_takeover; server_max_window_bits=9", null,
                "permessage-deflate; client_no_context_takeover; server_max_window_bits=9", true),
            ("13.6 offer (server_no_context_takeover, server_max_window_bits=15)", $"{Own}; server_no_context_takeover; server_max_window_bits=15", $"{Agreed}; server_max_window_bits=15",
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15", false),
            ("13.7 three offers, the first declined", $"{Own}; server_no_context_takeover; server_max_window_bits=9, {Own}; server_no_context_takeover, {Own}", Agreed,
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover", false),
        ];
        foreach (var (name, offer, expected, answer, smallWindow) in combinations)
        {
            // A server that limits its own window to 9 bits (client role): messages within 512 bytes,
            // so the reference compressor's distances stay within it.
            int[] combinationSizes = smallWindow ? [16, 64, 256, 512] : [16, 64, 256, 1024, 4096, 16384];
            for (int i = 0; i < combinationSizes.Length; i++)
                cases.Add($"{name[..4]}.{i + 1} {name[5..]}, text of {combinationSizes[i]} B", new(offer, expected, answer, combinationSizes[i]));
        }
        return cases;
    }

    [Theory, MemberData(nameof(Data))]
    public Task Compression(string @case, Role role)
    {
        var c = Cases[@case];
        // The peer resets when it said so (server_no_context_takeover from a server, client_no_context_takeover
        // agreed for a client, §7.1.1), and a server that limits its window to 9 bits resets too, so that no
        // distance reaches past it.
        return WithPeerAsync(role, c.Offer, c.Answer, c.Expected, (peer, agreed) => ExchangeAsync(peer, c, agreed,
            peerResets: role == Role.Server
                ? agreed?.Contains("client_no_context_takeover") == true
                : c.Answer.Contains("server_no_context_takeover") || c.Answer.Contains("bits=9")));
    }

    /// <summary>
    /// A connection with permessage-deflate negotiated by the raw peer: in the server role it offers
    /// <paramref name="offer"/> and checks that ActorWs answers <paramref name="expected"/>; in the
    /// client role it checks ActorWs's offer and answers <paramref name="answer"/>.
    /// </summary>
    private static async Task WithPeerAsync(Role role, string offer, string answer, string? expected, Func<RawPeer, string?, Task> body)
    {
        var system = TestSystem.System;
        var settings = TestSystem.Settings;
        if (role == Role.Server)
        {
            var server = await WebSocketServer.StartAsync(system, EchoHandler.Props(), settings, UniqueName.For("ws-server"));
            try
            {
                using var peer = await RawPeer.ConnectAsync(server.Endpoint);
                var key = Wire.NewKey();
                await peer.SendAsync(Wire.Ascii(Wire.UpgradeRequest("/", key, host: server.Endpoint.ToString(), extraHeaders: $"Sec-WebSocket-Extensions: {offer}\r\n")));
                var head = await peer.ReadHeadAsync() ?? throw new InvalidOperationException("no answer to the upgrade");
                Assert.StartsWith("HTTP/1.1 101", head);
                Assert.Equal(Wire.Accept(key), Field(head, "Sec-WebSocket-Accept"));
                var agreed = Field(head, "Sec-WebSocket-Extensions");
                Assert.Equal(expected, agreed);
                peer.PerMessageDeflate = agreed is not null;
                await body(peer, agreed);
            }
            finally
            {
                system.Stop(server.Actor);
            }
        }
        else
        {
            using var listener = new LoopbackListener("/conformance");
            var handler = system.ActorOf(EchoHandler.Props());
            var client = WebSocketClient.Connect(system, listener.Uri, handler, settings, UniqueName.For("ws-client"));
            try
            {
                using var peer = await listener.AcceptUnansweredAsync();
                var head = await peer.ReadHeadAsync() ?? throw new InvalidOperationException("no upgrade request");
                // ActorWs offers permessage-deflate, declaring that its compressor resets (§7.1.1.2) and asking the
                // server to reset (§7.1.1.1), with a plain offer as fallback; never client_max_window_bits (its
                // compressor's window is 15 bits only, §7.1.2.2).
                Assert.Equal("permessage-deflate; client_no_context_takeover; server_no_context_takeover, permessage-deflate; client_no_context_takeover",
                    Field(head, "Sec-WebSocket-Extensions"));
                var key = Field(head, "Sec-WebSocket-Key")!;
                await peer.SendAsync(Wire.Ascii(Wire.SwitchingProtocols(key)[..^2] + $"Sec-WebSocket-Extensions: {answer}\r\n\r\n"));
                peer.PerMessageDeflate = true;
                await body(peer, answer);
            }
            finally
            {
                system.Stop(client);
                system.Stop(handler);
            }
        }
    }

    public static TheoryData<string, Role> HostileData()
    {
        var data = new TheoryData<string, Role>();
        foreach (var name in Hostile.Keys)
            foreach (var role in new[] { Role.Server, Role.Client })
                data.Add(name, role);
        return data;
    }

    private static readonly Dictionary<string, (ushort Code, Func<RawPeer, byte[]> Frames)> Hostile = new(StringComparer.Ordinal)
    {
        // 1 GiB of zeros in about 1 MiB of DEFLATE, against the 16 MiB message limit: 1009 (§10.4), found while inflating.
        ["inflate bomb (1 GiB of zeros) against max-message-size 16 MiB"] = (CloseCodes.MessageTooBig, p => p.Frame(Opcode.Binary, Bomb(1024), rsv: PerMessageDeflate.Rsv1)),
        // Well-formed frames whose data is not DEFLATE: inconsistent with the message, like invalid UTF-8 (RFC 6455 §7.4.1).
        ["invalid DEFLATE data (reserved block type)"] = (CloseCodes.InvalidPayloadData, p => p.Frame(Opcode.Binary, [0xff, 0xff, 0xff, 0xff, 0x00], rsv: PerMessageDeflate.Rsv1)),
        ["compressed text that inflates to invalid UTF-8"] = (CloseCodes.InvalidPayloadData, p => p.Frame(Opcode.Text, new ReferenceDeflater(true).Compress([0x61, 0xC0, 0xAF]), rsv: PerMessageDeflate.Rsv1)),
        // RFC 7692 §6.1: RSV1 on a control frame or a continuation frame is a protocol error.
        ["RSV1 on a ping"] = (CloseCodes.ProtocolError, p => p.Frame(Opcode.Ping, [1, 2, 3], rsv: PerMessageDeflate.Rsv1)),
        ["RSV1 on a close"] = (CloseCodes.ProtocolError, p => p.Frame(Opcode.Close, Wire.ClosePayload(CloseCodes.NormalClosure), rsv: PerMessageDeflate.Rsv1)),
        ["RSV1 on a continuation frame"] = (CloseCodes.ProtocolError, p =>
        {
            var compressed = new ReferenceDeflater(true).Compress(Encoding.ASCII.GetBytes(new string('x', 3000)));
            return Wire.Concat(p.Frame(Opcode.Text, compressed[..4], fin: false, rsv: PerMessageDeflate.Rsv1),
                p.Frame(Opcode.Continuation, compressed[4..], rsv: PerMessageDeflate.Rsv1));
        }),
        ["RSV2 with permessage-deflate (it defines RSV1 only)"] = (CloseCodes.ProtocolError, p => p.Frame(Opcode.Text, [0x61], rsv: 0b010)),
    };

    [Theory, MemberData(nameof(HostileData))]
    public Task Hostile_compressed_frames_fail_the_connection(string @case, Role role)
    {
        var (code, frames) = Hostile[@case];
        return WithPeerAsync(role, DefaultOffer, "permessage-deflate", DefaultAnswer, async (peer, _) =>
        {
            await peer.SendAsync(frames(peer));
            // Nothing of the bad message is delivered: the very next frame is the close that fails the connection.
            var close = await peer.ReadFrameAsync() ?? throw new InvalidOperationException("TCP closed without a close frame");
            Assert.Equal(Opcode.Close, close.Opcode);
            Assert.Equal(code, close.CloseCode);
        });
    }

    /// <summary>About <paramref name="mebibytes"/> MiB of zeros as one compressed payload, about 1 KiB
    /// per MiB: each flush's empty stored block stays between the parts (it re-aligns to a byte), and
    /// with the window full of zeros every MiB after the first compresses to the same bytes.</summary>
    private static byte[] Bomb(int mebibytes)
    {
        var zeros = new byte[1 << 20];
        var sender = new ReferenceDeflater(resets: false);
        byte[] first = [.. sender.Compress(zeros), .. Tail];
        byte[] repeat = [.. sender.Compress(zeros), .. Tail];
        var bomb = new byte[first.Length + repeat.Length * (mebibytes - 1)];
        first.CopyTo(bomb, 0);
        for (int i = 0; i < mebibytes - 1; i++)
            repeat.CopyTo(bomb, first.Length + i * repeat.Length);
        return bomb[..^Tail.Length];
    }

    /// <summary>The messages sent, echoed and compared, then a clean close.</summary>
    private static async Task ExchangeAsync(RawPeer peer, Case c, string? agreed, bool peerResets)
    {
        bool compressing = agreed is not null;
        var sender = new ReferenceDeflater(peerResets);
        var receiver = new ReferenceInflater();
        var random = new Random(c.Size);
        var opcode = c.Binary ? Opcode.Binary : Opcode.Text;
        for (int i = 0; i < c.Count; i++)
        {
            var message = c.Random ? Wire.RandomBytes(random, c.Size) : Json(random, c.Size);
            var payload = compressing ? sender.Compress(message) : message;
            await peer.SendAsync(Frames(peer, opcode, payload, compressing, c.Fragment));

            var first = await peer.ReadFrameAsync() ?? throw new InvalidOperationException($"TCP closed before the echo of message {i}");
            Assert.Equal(opcode, first.Opcode);
            bool echoCompressed = first.Rsv == PerMessageDeflate.Rsv1;
            // ActorWs compresses exactly the messages of at least the threshold, when the extension was agreed.
            Assert.Equal(compressing && message.Length >= Threshold, echoCompressed);
            var echo = new MemoryStream();
            echo.Write(first.Payload);
            var frame = first;
            while (!frame.Fin)
            {
                frame = await peer.ReadFrameAsync() ?? throw new InvalidOperationException("TCP closed inside the echo");
                Assert.Equal(Opcode.Continuation, frame.Opcode);
                echo.Write(frame.Payload);
            }
            var echoed = echoCompressed ? receiver.Inflate(echo.ToArray()) : echo.ToArray();
            Assert.True(message.AsSpan().SequenceEqual(echoed), $"message {i} of {message.Length} bytes came back as {echoed.Length} different bytes");
        }
        await peer.SendAsync(peer.Close(CloseCodes.NormalClosure));
        var close = await peer.ReadFrameAsync() ?? throw new InvalidOperationException("TCP closed before the close answer");
        Assert.Equal(Opcode.Close, close.Opcode);
        Assert.Equal(CloseCodes.NormalClosure, close.CloseCode);
    }

    /// <summary>A message's frames: RSV1 on the first only (§6.1), continuation frames after it.</summary>
    private static byte[] Frames(RawPeer peer, Opcode opcode, byte[] payload, bool compressed, int fragment)
    {
        byte rsv = compressed ? PerMessageDeflate.Rsv1 : (byte)0;
        if (fragment == 0 || payload.Length <= fragment)
            return peer.Frame(opcode, payload, fin: true, rsv: rsv);
        var frames = new List<byte[]>();
        for (int offset = 0; offset < payload.Length; offset += fragment)
        {
            int length = Math.Min(fragment, payload.Length - offset);
            frames.Add(peer.Frame(offset == 0 ? opcode : Opcode.Continuation, payload.AsSpan(offset, length), fin: offset + length == payload.Length, rsv: offset == 0 ? rsv : (byte)0));
        }
        return Wire.Concat([.. frames]);
    }

    /// <summary>JSON-like ASCII text of exactly <paramref name="size"/> bytes (valid UTF-8, compressible).</summary>
    private static byte[] Json(Random random, int size)
    {
        var sb = new StringBuilder();
        while (sb.Length < size)
            sb.Append($"{{\"id\":{random.Next(1_000_000)},\"user\":\"name{random.Next(50)}\",\"score\":{random.NextDouble():F3}}},");
        return Encoding.ASCII.GetBytes(sb.ToString(0, size));
    }

    private static string? Field(string head, string name) => head.Split("\r\n")
        .Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
        .Select(l => l[(name.Length + 1)..].Trim())
        .SingleOrDefault();

    private static readonly byte[] Tail = [0x00, 0x00, 0xff, 0xff];

    /// <summary>§7.2.1 with .NET's plain DeflateStream: one compressor, or a new one per message when it resets.</summary>
    private sealed class ReferenceDeflater(bool resets)
    {
        private readonly MemoryStream _output = new();
        private DeflateStream? _deflate;

        public byte[] Compress(byte[] message)
        {
            if (resets || _deflate is null)
                _deflate = new DeflateStream(_output, CompressionLevel.Optimal, leaveOpen: true);
            _output.SetLength(0);
            _deflate.Write(message);
            _deflate.Flush();
            var bytes = _output.ToArray();
            return bytes.AsSpan().EndsWith(Tail) ? bytes[..^4] : bytes;
        }
    }

    /// <summary>§7.2.2 with one plain DeflateStream for the whole connection: it reads messages from a
    /// sender that resets as well as from one that keeps its window.</summary>
    private sealed class ReferenceInflater
    {
        private readonly Pending _input = new();
        private readonly DeflateStream _inflate;

        public ReferenceInflater() => _inflate = new DeflateStream(_input, CompressionMode.Decompress);

        public byte[] Inflate(byte[] payload)
        {
            _input.Add([.. payload, .. Tail]);
            var output = new MemoryStream();
            var buffer = new byte[16384];
            int n;
            while ((n = _inflate.Read(buffer)) > 0)
                output.Write(buffer, 0, n);
            return output.ToArray();
        }

        /// <summary>Bytes handed in and not yet read; a read with none returns 0.</summary>
        private sealed class Pending : Stream
        {
            private byte[] _bytes = [];
            private int _at;

            public void Add(byte[] bytes) => (_bytes, _at) = ([.. _bytes.AsSpan(_at), .. bytes], 0);

            public override int Read(byte[] buffer, int offset, int count)
            {
                int n = Math.Min(count, _bytes.Length - _at);
                Array.Copy(_bytes, _at, buffer, offset, n);
                _at += n;
                return n;
            }

            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }
}
