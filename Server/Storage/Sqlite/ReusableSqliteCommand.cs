using Microsoft.Data.Sqlite;

namespace Chat.Server.Storage.Sqlite;

/// <summary>
/// A command that stays prepared on its connection: disposing it (as every store operation does when it is done)
/// closes its reader, clears its parameters and hands it back to <see cref="SqliteReadConnection"/>, keeping the
/// compiled statements Microsoft.Data.Sqlite holds for an unchanged command text. Only <see cref="Release"/>
/// finalizes them.
/// </summary>
internal sealed class ReusableSqliteCommand : SqliteCommand
{
    private bool _released;

    public ReusableSqliteCommand(string sql, SqliteConnection connection)
        : base(sql, connection)
    {
    }

    /// <summary>Lent out by the cache and not yet given back.</summary>
    public bool InUse { get; set; }

    /// <summary>Finalizes the statements for good (the connection is closing, or the cache is full).</summary>
    public void Release()
    {
        _released = true;
        Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_released)
        {
            DataReader?.Dispose();
            Parameters.Clear();
            Transaction = null;
            InUse = false;
            return;
        }

        base.Dispose(disposing);
    }
}
