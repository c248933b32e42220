namespace ActorWs.Protocol; internal static class Placeholder {}
