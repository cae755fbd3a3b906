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
catch (IOException e)
{
    // Kestrel could not bind: the address is taken or not this machine's.
    await Console.Error.WriteLineAsync($"mesh-gateway: cannot listen: {e.Message}");
    return 1;
}
