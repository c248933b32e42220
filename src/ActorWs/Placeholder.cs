namespace ActorWs; internal static class Placeholder {}
