using System.Runtime.InteropServices;

namespace Mesh.Bench;

/// <summary>The machine a benchmark ran on, for the record.</summary>
public static class Machine
{
    public static string Describe()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return $"Machine: {cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} cores, " +
            $"{RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; run on {TimeProvider.System.GetUtcNow():yyyy-MM-dd}.";
    }
}
