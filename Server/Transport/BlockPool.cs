using System.Buffers;
using System.Collections.Concurrent;

namespace Chat.Server.Transport;

/// <summary>
/// The 4 KiB blocks behind every connection's buffers, kept for reuse. <see cref="ArrayPool{T}.Shared"/> keeps only a
/// few arrays per size and core, so when a batch writes to a thousand connections at once nearly every block was a
/// fresh array (a quarter of the server's allocations per message). Blocks are pinned (the sockets read and write
/// them in place) and come back when their connection is done with them. Blocks that stayed unused for a whole
/// <see cref="TrimInterval"/> are let go, so a burst does not hold its memory forever. Plain connections take arrays
/// (<see cref="RentArray"/>); the TLS connections' pipes take memory owners (<see cref="Rent"/>).
/// </summary>
internal sealed class BlockPool : MemoryPool<byte>
{
    public const int BlockSize = 4096;

    /// <summary>Never keep more than this many free blocks (64 MiB).</summary>
    private const int MaxFree = 16_384;

    private static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentQueue<byte[]> _free = new();
    private readonly Timer _trim;
    private int _freeCount;
    private int _lowestFree;
    private volatile bool _disposed;

    public BlockPool()
    {
        _trim = new Timer(static s => ((BlockPool)s!).Trim(), this, TrimInterval, TrimInterval);
    }

    public override int MaxBufferSize => BlockSize;

    /// <summary>Free blocks held now.</summary>
    public int FreeBlocks => Volatile.Read(ref _freeCount);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        return new Block(this, RentArray());
    }

    public byte[] RentArray()
    {
        if (_free.TryDequeue(out var array))
        {
            var left = Interlocked.Decrement(ref _freeCount);
            if (left < Volatile.Read(ref _lowestFree))
            {
                Volatile.Write(ref _lowestFree, left);
            }

            return array;
        }

        return GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);
    }

    /// <summary>Gives back an array from <see cref="RentArray"/> (arrays of another size are left to the GC).</summary>
    public void ReturnArray(byte[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length != BlockSize || _disposed || Interlocked.Increment(ref _freeCount) > MaxFree)
        {
            if (array.Length == BlockSize && !_disposed)
            {
                Interlocked.Decrement(ref _freeCount);
            }

            return;
        }

        _free.Enqueue(array);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _trim.Dispose();
        _free.Clear();
    }

    /// <summary>Lets go of the blocks nobody needed since the last trim: as many as the lowest free count seen.</summary>
    private void Trim()
    {
        var surplus = Volatile.Read(ref _lowestFree);
        for (var i = 0; i < surplus && _free.TryDequeue(out _); i++)
        {
            Interlocked.Decrement(ref _freeCount);
        }

        Volatile.Write(ref _lowestFree, Volatile.Read(ref _freeCount));
    }

    private sealed class Block(BlockPool pool, byte[] array) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory { get; } = array;

        public void Dispose() => pool.ReturnArray(array);
    }
}
