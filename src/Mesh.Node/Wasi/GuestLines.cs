using System.Buffers;

namespace Mesh.Node.Wasi;

/// <summary>
/// A WASI guest's stderr cut into lines. Toolchains write a line in pieces (Rust's
/// <c>eprintln!</c> writes each argument on its own), so bytes are kept until a newline or the
/// end of the invocation, and a line longer than the log's line limit is handed on when it fills
/// (the log cuts it and says so).
/// </summary>
internal sealed class GuestLines(int maxLineBytes, GuestLines.LineWriter write) : IDisposable
{
    public delegate void LineWriter(ReadOnlySpan<byte> line);

    // One byte over the log's limit, so the log cuts the line and says so.
    private readonly int _capacity = maxLineBytes + 1;
    private byte[] _line = ArrayPool<byte>.Shared.Rent(maxLineBytes + 1);
    private int _length;
    private bool _dropping;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var newline = bytes.IndexOf((byte)'\n');
            var piece = newline < 0 ? bytes : bytes[..newline];
            if (!_dropping)
            {
                var taken = Math.Min(_capacity - _length, piece.Length);
                piece[..taken].CopyTo(_line.AsSpan(_length));
                _length += taken;
                if (taken < piece.Length)
                {
                    // Handed on full, the log cuts it and says so; the rest, up to its newline, goes.
                    Flush();
                    _dropping = true;
                }
            }

            if (newline < 0)
            {
                return;
            }

            Flush();
            _dropping = false;
            bytes = bytes[(newline + 1)..];
        }
    }

    /// <summary>Hands on what is left (a last line with no newline).</summary>
    public void Flush()
    {
        if (_length > 0)
        {
            var line = _line.AsSpan(0, _length);
            if (line[^1] == '\r')
            {
                line = line[..^1];
            }

            _length = 0;
            write(line);
        }
    }

    public void Dispose()
    {
        if (_line.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_line);
            _line = [];
        }
    }
}
