using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Mesh.Contracts.Tokens;
using Mesh.Node.Telemetry;

namespace Mesh.IntegrationTests;

/// <summary>The Mesh.Node meter, read the way an exporter reads it (a MeterListener in this process).</summary>
[Collection(NatsServerDefinition.Name)]
public sealed class MetricsTests(NatsServerFixture nats)
{
    [Fact]
    public async Task Invocations_AreCountedAndTimedByStatus_AndCacheHitsAreReported()
    {
        var mesh = await nats.SharedMeshAsync();
        var echo = await mesh.DeployAsync(MeshCluster.Wat("echo"));
        var token = mesh.Grant("echo", echo);
        var measured = new ConcurrentQueue<(string Instrument, double Value, string Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == NodeMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state) =>
            measured.Enqueue((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}"))));
        listener.SetMeasurementEventCallback<long>(Record);
        listener.SetMeasurementEventCallback<double>(Record);
        listener.Start();

        for (var i = 0; i < 5; i++)
        {
            Assert.True((await mesh.CallAsync("echo", token, "counted")).IsOk);
        }

        Assert.False((await mesh.CallAsync("other", token, "refused")).IsOk);
        listener.RecordObservableInstruments();

        Assert.True(measured.Count(m => m.Instrument == "mesh.invocations" && m.Tags == "mesh.status=ok") >= 5);
        Assert.Contains(measured, m => m.Instrument == "mesh.invocations" && m.Tags == "mesh.status=token.wrong_subject");
        Assert.True(measured.Count(m => m.Instrument == "mesh.invocation.duration" && m.Value > 0) >= 6);
        Assert.Contains(measured, m => m.Instrument == "mesh.token_cache.lookups" && m.Tags == "result=hit" && m.Value >= 4);
        Assert.Contains(measured, m => m.Instrument == "mesh.module_cache.lookups" && m.Tags == "result=hit");
        Assert.Contains(measured, m => m.Instrument == "mesh.invocations.in_flight");
    }
}
