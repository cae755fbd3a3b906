using Microsoft.Extensions.Hosting;
using Mesh.Node;

// The node as a process of its own (containers, systemd). `mesh node` runs the same host.
await NodeHost.Build(args).RunAsync();
