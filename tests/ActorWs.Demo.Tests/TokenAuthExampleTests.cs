using System.Net;
using System.Reflection;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using ActorWs.Demo;

namespace ActorWs.Demo.Tests;

/// <summary>
/// examples/TokenAuth: the README shows its Program.cs as it is, and the program, built by the
/// solution's build, does what the README says when run as written (<c>--port 0</c>).
/// </summary>
public sealed class TokenAuthExampleTests : IAsyncLifetime
{
    /// <summary>The README line before the example's code block.</summary>
    public const string ReadmeMarker = "<!-- examples/TokenAuth/Program.cs, verbatim (TokenAuthExampleTests checks it) -->";

    private ProgramProcess? _example;
    private ActorSystem? _system;
    private int _port;

    private static string ExampleDll => Repository.PathOf(typeof(TokenAuthExampleTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TokenAuthDll").Value!);

    public async Task InitializeAsync()
    {
        _example = ProgramProcess.Start(ExampleDll, "--port", "0");
        _port = await _example.ListeningPortAsync();
        _system = ActorSystem.Create(UniqueName.For("tokenauth-client"),
            ConfigurationFactory.ParseString("actorws.reconnect.enabled = off\n" + AkkaConfig.Quiet));
    }

    public async Task DisposeAsync()
    {
        if (_system is not null)
            await _system.Terminate();
        _example?.Dispose();
    }

    /// <summary>Every event of one client connection, in order.</summary>
    private sealed class Events(ChannelWriter<object> events) : UntypedActor
    {
        protected override void OnReceive(object message) => events.TryWrite(message);
    }

    private ChannelReader<object> Connect(string pathAndQuery, params KeyValuePair<string, string>[] headers)
    {
        var events = Channel.CreateUnbounded<object>();
        var handler = _system!.ActorOf(Props.Create(() => new Events(events.Writer)));
        WebSocketClient.Connect(_system, new Uri($"ws://127.0.0.1:{_port}{pathAndQuery}"), handler,
            name: UniqueName.For("client"), options: new WebSocketClientOptions { Subprotocols = ["chat.v1"], Headers = headers });
        return events.Reader;
    }

    private static async Task<T> Next<T>(ChannelReader<object> events)
    {
        var next = await events.ReadAsync().AsTask().WaitAsync(ProgramProcess.Limit);
        return Assert.IsType<T>(next);
    }

    [Fact]
    public void Readme_shows_the_examples_Program_cs_verbatim()
    {
        static string Lf(string text) => text.Replace("\r\n", "\n");
        var readme = Lf(File.ReadAllText(Repository.PathOf("README.md")));
        int marker = readme.IndexOf(ReadmeMarker, StringComparison.Ordinal);
        Assert.True(marker >= 0, $"README.md has no line '{ReadmeMarker}'");
        const string open = "```csharp\n";
        int start = readme.IndexOf(open, marker, StringComparison.Ordinal) + open.Length;
        int end = readme.IndexOf("\n```\n", start, StringComparison.Ordinal) + 1;

        Assert.Equal(Lf(File.ReadAllText(Repository.PathOf("examples/TokenAuth/Program.cs"))), readme[start..end]);
    }

    [Fact]
    public async Task Bearer_token_in_the_header_opens_with_chat_v1_and_the_user_is_greeted_and_echoed_by_name()
    {
        var events = Connect("/", KeyValuePair.Create("Authorization", "Bearer alice-token"));

        var opened = await Next<Opened>(events);
        Assert.Equal("chat.v1", opened.Subprotocol);
        Assert.Equal("hello alice, this is chat.v1", (await Next<TextReceived>(events)).Text);
        opened.Connection.Tell(new SendText("hi"));
        Assert.Equal("alice: hi", (await Next<TextReceived>(events)).Text);
        opened.Connection.Tell(new Close());
        Assert.True((await Next<Closed>(events)).WasClean);
    }

    [Fact]
    public async Task Token_in_the_query_opens_with_chat_v1_and_the_user_is_greeted_by_name()
    {
        var events = Connect("/chat?token=bob-token");

        var opened = await Next<Opened>(events);
        Assert.Equal("chat.v1", opened.Subprotocol);
        Assert.Equal("hello bob, this is chat.v1", (await Next<TextReceived>(events)).Text);
    }

    [Fact]
    public async Task Wrong_token_is_refused_with_401_and_WWW_Authenticate_Bearer()
    {
        var events = Connect("/", KeyValuePair.Create("Authorization", "Bearer mallory-token"));

        var closed = await Next<Closed>(events);
        var refusal = closed.HandshakeFailure?.Refusal;
        Assert.NotNull(refusal);
        Assert.Equal(401, refusal.StatusCode);
        Assert.StartsWith("Bearer", refusal.Headers["WWW-Authenticate"]);
        Assert.Equal("bad token", refusal.Body.Text.Trim());
        Assert.False(closed.WillReconnect);
    }

    [Fact]
    public async Task Demo_connect_prints_the_refusal_of_a_wrong_token()
    {
        using var client = ProgramProcess.Start(typeof(DemoRunner).Assembly.Location,
            "connect", $"ws://127.0.0.1:{_port}/?token=wrong", "--subprotocol", "chat.v1");

        Assert.Equal(1, await client.WaitForExitAsync());
        Assert.Contains("refused: 401 Unauthorized: bad token", client.Output);
    }

    [Fact]
    public async Task Healthz_answers_200_ok()
    {
        using var http = new HttpClient { Timeout = ProgramProcess.Limit };

        using var health = await http.GetAsync($"http://127.0.0.1:{_port}/healthz");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("ok\n", await health.Content.ReadAsStringAsync());
    }
}
