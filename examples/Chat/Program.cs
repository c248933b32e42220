// A chat whose rooms span the nodes of an Akka.Cluster. Three nodes on one machine:
//   dotnet run --project examples/Chat -- --port 8001 --cluster-port 4001 --seed 127.0.0.1:4001
//   dotnet run --project examples/Chat -- --port 8002 --cluster-port 4002 --seed 127.0.0.1:4001
//   dotnet run --project examples/Chat -- --port 8003 --cluster-port 4003 --seed 127.0.0.1:4001
// then open http://127.0.0.1:8001/ (or 8002, 8003), or from a terminal:
//   dotnet run --project examples/Chat -- connect --room lobby --nick alice ws://127.0.0.1:8001/ ws://127.0.0.1:8002/
using Chat;

return args is ["connect", .. var rest] ? await ChatClient.RunAsync(rest) : await ChatNode.RunAsync(args);
