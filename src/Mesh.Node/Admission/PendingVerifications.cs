using Mesh.Contracts.Tokens;

namespace Mesh.Node.Admission;

/// <summary>
/// Calls whose token this node has not verified yet. The first call of a token is queued and its
/// worker verifies the token; calls arriving with the same token meanwhile are parked beside it,
/// taking no queue place, and are answered or admitted the moment that verification is done. At
/// most <c>maxTokens</c> distinct tokens wait for verification and <c>maxParked</c> calls wait
/// parked, so a flood of forged tokens, repeated or each new, cannot take the queue places that
/// calls with verified tokens need.
/// </summary>
internal sealed class PendingVerifications<T>(int maxTokens, int maxParked)
{
    private readonly Dictionary<Sha256Digest, List<T>> _pending = [];
    private readonly Lock _lock = new();
    private int _parked;

    public enum Arrival
    {
        /// <summary>The first call of its token: queue it, and verify the token.</summary>
        Verify,

        /// <summary>Parked beside a verification already waiting.</summary>
        Parked,

        /// <summary>No room: refuse the call as overloaded.</summary>
        Full,
    }

    public Arrival Arrive(Sha256Digest token, T call)
    {
        lock (_lock)
        {
            if (_pending.TryGetValue(token, out var parked))
            {
                if (_parked >= maxParked)
                {
                    return Arrival.Full;
                }

                parked.Add(call);
                _parked++;
                return Arrival.Parked;
            }

            if (_pending.Count >= maxTokens)
            {
                return Arrival.Full;
            }

            _pending[token] = [];
            return Arrival.Verify;
        }
    }

    /// <summary>The token's verification is done (or will not happen): the calls parked beside it.</summary>
    public List<T> Complete(Sha256Digest token)
    {
        lock (_lock)
        {
            if (!_pending.Remove(token, out var parked))
            {
                return [];
            }

            _parked -= parked.Count;
            return parked;
        }
    }
}
