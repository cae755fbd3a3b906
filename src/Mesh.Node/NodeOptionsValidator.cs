using Mesh.Contracts.Keys;
using Microsoft.Extensions.Options;

namespace Mesh.Node;

/// <summary>Refuses to start a node with settings that cannot work, naming the setting.</summary>
public sealed class NodeOptionsValidator : IValidateOptions<NodeOptions>
{
    public ValidateOptionsResult Validate(string? name, NodeOptions options)
    {
        if (options.Validate() is { } error)
        {
            return ValidateOptionsResult.Fail(error);
        }

        for (var i = 0; i < options.Tokens.TrustedRoots.Count; i++)
        {
            if (!VerifyingKey.TryParse(options.Tokens.TrustedRoots[i], out _, out var keyError))
            {
                return ValidateOptionsResult.Fail($"Mesh:Tokens:TrustedRoots:{i}: {keyError}");
            }
        }

        return ValidateOptionsResult.Success;
    }
}
