#:sdk Microsoft.NET.Sdk.Web
// A stand-in payment provider for the README's tour: POST /v1/charges succeeds only with the key it
// was started with (PROVIDER_KEY) as a bearer token. Run: PROVIDER_KEY=... dotnet run examples/payments-as/provider.cs
var key = Environment.GetEnvironmentVariable("PROVIDER_KEY") ?? throw new InvalidOperationException("set PROVIDER_KEY");
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
app.MapPost("/v1/charges", (HttpRequest request) => request.Headers.Authorization == $"Bearer {key}"
    ? Results.Text("{\"status\":\"succeeded\"}", "application/json")
    : Results.Text("{\"error\":\"no valid API key\"}", "application/json", statusCode: 401));
app.Run(Environment.GetEnvironmentVariable("PROVIDER_URL") ?? "http://127.0.0.1:8099");
