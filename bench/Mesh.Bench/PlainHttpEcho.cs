using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Bench;

/// <summary>
/// The gateway's baseline: a plain ASP.NET Core endpoint that echoes the body, as anyone would
/// write it (Kestrel, a minimal API), run as its own process (<c>Mesh.Bench.dll http-echo PORT</c>).
/// </summary>
public static class PlainHttpEcho
{
    public static async Task<int> RunAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenLocalhost(port));
        var app = builder.Build();
        app.MapPost("/echo", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            http.Response.ContentType = "application/octet-stream";
            http.Response.ContentLength = body.Length;
            await http.Response.Body.WriteAsync(body.GetBuffer().AsMemory(0, (int)body.Length), http.RequestAborted);
        });
        await app.StartAsync();
        Console.WriteLine("http echo ready");
        await app.WaitForShutdownAsync();
        return 0;
    }
}
