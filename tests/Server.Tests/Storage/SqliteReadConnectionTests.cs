using Chat.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Chat.Server.Tests.Storage;

/// <summary>The read connections' prepared statements: kept between uses, never shared at once, never stale.</summary>
[Trait("Tier", Tiers.Unit)]
public sealed class SqliteReadConnectionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("chat-readconn-").FullName;

    private string ConnectionString => new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "t.db"), Pooling = false }.ToString();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_command_given_back_is_lent_again_for_the_same_text()
    {
        using var connection = Open();
        var first = connection.Command("SELECT 1", null);
        first.Dispose();
        var second = connection.Command("SELECT 1", null);
        Assert.Same(first, second);
        Assert.NotSame(second, connection.Command("SELECT 2", null));
    }

    [Fact]
    public void The_same_text_twice_at_once_gets_two_commands()
    {
        using var connection = Open();
        var outer = connection.Command("SELECT @v", null);
        var inner = connection.Command("SELECT @v", null);
        Assert.NotSame(outer, inner);
        Assert.IsType<ReusableSqliteCommand>(outer);
        Assert.IsNotType<ReusableSqliteCommand>(inner);
    }

    [Fact]
    public void A_command_given_back_forgets_its_parameters_and_closes_its_reader()
    {
        using var connection = Open();
        var command = connection.Command("SELECT @v", null);
        command.Parameters.Add(new SqliteParameter("@v", 41));
        var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        command.Dispose(); // the reader is still open: giving the command back closes it

        Assert.True(reader.IsClosed);
        var again = connection.Command("SELECT @v", null);
        Assert.Empty(again.Parameters);
        again.Parameters.Add(new SqliteParameter("@v", 42));
        Assert.Equal(42L, again.ExecuteScalar());
    }

    [Fact]
    public void A_kept_statement_sees_what_another_connection_wrote_since()
    {
        using (var setup = new SqliteConnection(ConnectionString))
        {
            setup.Open();
            using var create = setup.CreateCommand();
            create.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1);";
            create.ExecuteNonQuery();
        }

        using var reader = Open();
        using (var count = reader.Command("SELECT COUNT(*) FROM t", null))
        {
            Assert.Equal(1L, count.ExecuteScalar());
        }

        using (var writer = new SqliteConnection(ConnectionString))
        {
            writer.Open();
            using var insert = writer.CreateCommand();
            insert.CommandText = "INSERT INTO t VALUES (2); INSERT INTO t VALUES (3);";
            insert.ExecuteNonQuery();
        }

        using (var count = reader.Command("SELECT COUNT(*) FROM t", null))
        {
            Assert.Equal(3L, count.ExecuteScalar());
        }
    }

    [Fact]
    public async Task A_read_through_a_kept_statement_sees_each_write_before_it_and_binds_text_and_numbers()
    {
        await using var database = await CreateDatabaseAsync("rows.sqlite", "CREATE TABLE t (k TEXT, n INTEGER, v TEXT)");

        for (var i = 1; i <= 3; i++)
        {
            var value = i;
            await database.WriteAsync(async s =>
            {
                using var insert = s.Command("INSERT INTO t VALUES ('k', @n, @v)");
                insert.Parameters.Add(new SqliteParameter("@n", value));
                insert.Parameters.Add(new SqliteParameter("@v", "值" + value));
                return await insert.ExecuteNonQueryAsync();
            }, transaction: false, CancellationToken.None);

            // The same text each time, so the statement kept on the reader runs again: it must not read an old snapshot.
            var byText = new List<string>();
            await database.ReadRowsAsync("SELECT v FROM t WHERE k = @k ORDER BY n", "@k", "k", byText, static (row, rows) => rows.Add(row.Text(0)), CancellationToken.None);
            Assert.Equal(Enumerable.Range(1, value).Select(n => "值" + n), byText);

            var byNumber = new List<long>();
            await database.ReadRowsAsync("SELECT n FROM t WHERE n >= @n ORDER BY n", "@n", 2L, byNumber, static (row, rows) => rows.Add(row.Int64(0)), CancellationToken.None);
            Assert.Equal(Enumerable.Range(2, Math.Max(0, value - 1)).Select(n => (long)n), byNumber);
        }

        var none = new List<long>();
        await database.ReadRowsAsync("SELECT n FROM t WHERE k = @k", "@k", "missing", none, static (row, rows) => rows.Add(row.Int64(0)), CancellationToken.None);
        Assert.Empty(none);
    }

    [Fact]
    public async Task A_reader_waits_out_a_busy_database_as_the_writer_does()
    {
        await using var database = await CreateDatabaseAsync("busy.sqlite", "CREATE TABLE t (v INTEGER)");
        var timeouts = new List<long>();
        await database.ReadRowsAsync("SELECT timeout FROM pragma_busy_timeout WHERE @z = 0", "@z", 0L, timeouts, static (row, list) => list.Add(row.Int64(0)), CancellationToken.None);
        Assert.Equal([30000L], timeouts);
    }

    [Fact]
    public async Task The_database_lends_a_given_back_reader_again_and_its_reads_stay_right()
    {
        await using var database = await CreateDatabaseAsync("db.sqlite", "CREATE TABLE t (v INTEGER)");

        SqliteConnection? firstConnection = null;
        for (var i = 1; i <= 3; i++)
        {
            var value = i;
            await database.WriteAsync(async s =>
            {
                using var insert = s.Command("INSERT INTO t VALUES (@v)");
                insert.Parameters.Add(new SqliteParameter("@v", value));
                return await insert.ExecuteNonQueryAsync();
            }, transaction: false, CancellationToken.None);

            var (connection, sum) = await database.ReadAsync(async s =>
            {
                using var total = s.Command("SELECT SUM(v) FROM t");
                return ((SqliteConnection)total.Connection!, (long)(await total.ExecuteScalarAsync())!);
            }, CancellationToken.None);

            Assert.Equal(value * (value + 1) / 2, sum);
            Assert.IsType<SqliteReadConnection>(connection);
            firstConnection ??= connection;
            Assert.Same(firstConnection, connection);
        }
    }

    private async Task<SqliteDatabase> CreateDatabaseAsync(string file, string createTable)
    {
        var database = new SqliteDatabase("Data Source=" + Path.Combine(_directory, file));
        await database.WriteAsync(async s =>
        {
            using var create = s.Command(createTable);
            return await create.ExecuteNonQueryAsync();
        }, transaction: false, CancellationToken.None);
        return database;
    }

    private SqliteReadConnection Open()
    {
        var connection = new SqliteReadConnection(ConnectionString);
        connection.Open();
        return connection;
    }
}
