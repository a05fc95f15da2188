using System.Runtime.InteropServices;

namespace Chat.Server.Transport;

/// <summary>
/// Bytes waiting for a socket that would not take them at once, in 4 KiB blocks from the <see cref="BlockPool"/>. A
/// connection holds one only while bytes are pending; sent bytes are dropped from the front and their blocks given
/// back. Not thread-safe: the connection's write lock guards it.
/// </summary>
internal sealed class OutputQueue
{
    private readonly BlockPool _pool;
    private readonly List<byte[]> _blocks = [];
    private int _head;
    private int _tail = BlockPool.BlockSize;

    public OutputQueue(BlockPool pool)
    {
        _pool = pool;
    }

    /// <summary>Bytes queued and not yet sent.</summary>
    public long Length { get; private set; }

    public bool IsEmpty => Length == 0;

    public void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_tail == BlockPool.BlockSize)
            {
                _blocks.Add(_pool.RentArray());
                _tail = 0;
            }

            var block = _blocks[^1];
            var n = Math.Min(data.Length, block.Length - _tail);
            data[..n].CopyTo(block.AsSpan(_tail));
            _tail += n;
            data = data[n..];
            Length += n;
        }
    }

    /// <summary>The first block's unsent bytes.</summary>
    public ArraySegment<byte> First => new(_blocks[0], _head, (_blocks.Count == 1 ? _tail : BlockPool.BlockSize) - _head);

    /// <summary>Every unsent byte, as segments for one gather send.</summary>
    public void Segments(List<ArraySegment<byte>> into)
    {
        for (var i = 0; i < _blocks.Count; i++)
        {
            var start = i == 0 ? _head : 0;
            var end = i == _blocks.Count - 1 ? _tail : BlockPool.BlockSize;
            if (end > start)
            {
                into.Add(new ArraySegment<byte>(_blocks[i], start, end - start));
            }
        }
    }

    /// <summary>
    /// The unsent bytes from the front, as many blocks as <paramref name="into"/> holds, as buffers for one gather send
    /// (the blocks are pinned); the count filled, with the bytes they hold.
    /// </summary>
    public int Vectors(NativeMethods.IoVector[] into, out long bytes)
    {
        var count = Math.Min(_blocks.Count, into.Length);
        var filled = 0;
        bytes = 0;
        for (var i = 0; i < count; i++)
        {
            var start = i == 0 ? _head : 0;
            var end = i == _blocks.Count - 1 ? _tail : BlockPool.BlockSize;
            if (end > start)
            {
                into[filled++] = new NativeMethods.IoVector { Base = Marshal.UnsafeAddrOfPinnedArrayElement(_blocks[i], start), Length = end - start };
                bytes += end - start;
            }
        }

        return filled;
    }

    /// <summary>Drops <paramref name="count"/> sent bytes from the front, giving back the blocks they emptied.</summary>
    public void Consume(long count)
    {
        Length -= count;
        while (count > 0)
        {
            var end = _blocks.Count == 1 ? _tail : BlockPool.BlockSize;
            var inFirst = end - _head;
            if (count < inFirst)
            {
                _head += (int)count;
                return;
            }

            count -= inFirst;
            _pool.ReturnArray(_blocks[0]);
            _blocks.RemoveAt(0);
            _head = 0;
            if (_blocks.Count == 0)
            {
                _tail = BlockPool.BlockSize;
            }
        }
    }

    /// <summary>Gives every block back (the connection is gone).</summary>
    public void Release()
    {
        foreach (var block in _blocks)
        {
            _pool.ReturnArray(block);
        }

        _blocks.Clear();
        _head = 0;
        _tail = BlockPool.BlockSize;
        Length = 0;
    }
}
