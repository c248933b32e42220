using System.Text;
using static ActorWs.Protocol.Tests.DoorRequests;

namespace ActorWs.Protocol.Tests;

/// <summary>A refusal's body in the chunked transfer coding (RFC 9112 §7.1), as Kestrel sends a body
/// written without a Content-Length: decoded as it arrives, bounded, its broken framing a violation.</summary>
public class ChunkedBodyTests
{
    private static HttpHead ChunkedHead(string coding = "chunked") =>
        SplitResponse(Head("HTTP/1.1 401 Unauthorized", [$"Transfer-Encoding: {coding}", "Content-Length: 5"])).Head;

    private static readonly byte[] Sample = "5;name=value\r\nhello\r\n1D\r\n, the token has expired (401)\r\n0\r\nX-Trailer: t\r\n\r\n"u8.ToArray();
    private const string SampleText = "hello, the token has expired (401)";

    [Fact]
    public void Chunked_body_is_decoded_whole_and_the_content_length_beside_it_ignored()
    {
        // RFC 9112 §6.3 item 3: Transfer-Encoding decides over Content-Length.
        var read = new HttpBodyReader(ChunkedHead(), 4096).Feed(Sample);
        Assert.True(read.IsComplete);
        Assert.Equal(Sample.Length, read.Consumed);
        Assert.Equal(SampleText, read.Value.Text);
        Assert.True(read.Value.IsComplete);
    }

    [Fact]
    public void Chunked_body_split_at_every_two_boundaries_decodes_the_same()
    {
        for (int i = 0; i <= Sample.Length; i++)
        for (int j = i; j <= Sample.Length; j++)
        {
            var reader = new HttpBodyReader(ChunkedHead(), 4096);
            HttpBody? body = null;
            foreach (var part in new[] { Sample[..i], Sample[i..j], Sample[j..] })
            {
                var read = reader.Feed(part);
                if (read.IsComplete)
                {
                    body = read.Value;
                    break;
                }
                Assert.Equal(part.Length, read.Consumed);
            }
            Assert.True(body is not null, $"split at {i}, {j}");
            Assert.Equal(SampleText, body.Text);
            Assert.True(body.IsComplete);
        }
    }

    [Fact]
    public void Random_bodies_in_random_chunks_round_trip()
    {
        var random = new Random(6455);
        for (int n = 0; n < 300; n++)
        {
            var body = new byte[random.Next(0, 600)];
            random.NextBytes(body);
            var wire = new List<byte>();
            for (int at = 0; at < body.Length;)
            {
                int size = Math.Min(body.Length - at, random.Next(1, 100));
                wire.AddRange(Encoding.ASCII.GetBytes($"{size:x}\r\n"));
                wire.AddRange(body.AsSpan(at, size).ToArray());
                wire.AddRange("\r\n"u8.ToArray());
                at += size;
            }
            wire.AddRange("0\r\n\r\n"u8.ToArray());
            var reader = new HttpBodyReader(ChunkedHead(), 4096);
            var bytes = wire.ToArray();
            HttpBody? decoded = null;
            for (int at = 0; at < bytes.Length && decoded is null;)
            {
                int take = Math.Min(bytes.Length - at, random.Next(1, 50));
                var read = reader.Feed(bytes.AsSpan(at, take));
                if (read.IsComplete)
                    decoded = read.Value;
                at += take;
            }
            Assert.NotNull(decoded);
            Assert.Equal(body, decoded.Bytes.ToArray());
        }
    }

    [Fact]
    public void Chunked_body_past_the_limit_keeps_only_the_limit_and_is_incomplete()
    {
        var read = new HttpBodyReader(ChunkedHead(), 8).Feed(Sample);
        Assert.True(read.IsComplete);
        Assert.Equal("hello, t", read.Value.Text);
        Assert.False(read.Value.IsComplete);
    }

    [Fact]
    public void Connection_ending_inside_a_chunked_body_leaves_it_incomplete()
    {
        var reader = new HttpBodyReader(ChunkedHead(), 4096);
        Assert.Equal(ProtocolStatus.NeedMoreData, reader.Feed(Sample[..20]).Status);
        var body = reader.Finish();
        Assert.Equal("hello", body.Text);
        Assert.False(body.IsComplete);
    }

    [Theory]
    [InlineData("zz\r\nhello\r\n0\r\n\r\n", "not hexadecimal")]
    [InlineData("5\nhello\r\n0\r\n\r\n", "other than an extension or CRLF")]
    [InlineData("5\r\nhello!\r\n0\r\n\r\n", "longer than its size")]
    [InlineData("5\r\nhello\rX0\r\n\r\n", "not followed by CRLF")]
    [InlineData("1000000000000000\r\n", "more than 15 hex digits")]
    [InlineData("0\r\nX-Trailer: t\rX", "does not end with CRLF")]
    public void Broken_chunked_framing_is_a_violation(string wire, string why)
    {
        var read = new HttpBodyReader(ChunkedHead(), 4096).Feed(Encoding.ASCII.GetBytes(wire));
        Assert.Equal(ViolationKind.MalformedHead, read.Violation?.Kind);
        Assert.Contains(why, read.Violation!.Reason);
    }

    [Fact]
    public void Endless_chunk_extension_is_refused_at_its_bound()
    {
        var line = "5;" + new string('x', ChunkedDecoder.MaxLineLength + 1);
        var read = new HttpBodyReader(ChunkedHead(), 4096).Feed(Encoding.ASCII.GetBytes(line));
        Assert.Equal(ViolationKind.MalformedHead, read.Violation?.Kind);
    }

    [Fact]
    public void Another_final_coding_runs_to_the_end_of_the_connection()
    {
        // RFC 9112 §6.3 item 4: chunked not the final coding: read until the server closes.
        var reader = new HttpBodyReader(ChunkedHead("chunked, gzip"), 4096);
        Assert.Equal(ProtocolStatus.NeedMoreData, reader.Feed("raw"u8).Status);
        var body = reader.Finish();
        Assert.Equal("raw", body.Text);
        Assert.True(body.IsComplete);
    }
}
