using Mesh.Dashboard;

// A dashboard on its own (a container): settings from the environment, Mesh__Nats__Url and
// Mesh__Dashboard__Listen. `mesh dashboard` runs the same in the CLI.
try
{
    await using var app = DashboardHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"mesh-dashboard: usage: {e.Message}");
    return 64;
}
catch (IOException e)
{
    await Console.Error.WriteLineAsync($"mesh-dashboard: cannot listen: {e.Message}");
    return 1;
}
