using Mesh.Gateway;

// A gateway on its own (the container image's gateway target): settings from the environment,
// Mesh__Nats__Url and Mesh__Gateway__Listen. `mesh gateway` runs the same in the CLI.
try
{
    await using var app = GatewayHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"mesh-gateway: usage: {e.Message}");
    return 64;
}
