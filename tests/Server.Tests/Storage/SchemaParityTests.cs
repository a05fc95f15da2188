using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace Chat.Server.Tests.Storage;

/// <summary>
/// <c>schema.sql</c> (MySQL/MariaDB) and the SQLite schema are kept by hand side by side; this compares what each
/// store really creates, read back from the engines' own catalogues: the same tables, the same columns, the same
/// primary keys and the same indexes (by their columns and uniqueness; names may differ).
/// </summary>
[Trait("Tier", Tiers.Store)]
public sealed class SchemaParityTests
{
    /// <summary>Tables only one engine has, each for a reason of that engine.</summary>
    private static readonly HashSet<string> EngineOnlyTables = new(StringComparer.Ordinal)
    {
        "sqlite_sequence", // SQLite's own AUTOINCREMENT bookkeeping

        // The bytes of attachments in the shared database (MySqlBlobStore, a cluster's store); with SQLite they are
        // files in the content-addressed directory (DirectoryBlobStore).
        "blob_staging",
        "blob_content",
        "blob_chunks",

        // Search: InnoDB's FULLTEXT index needs a table of its own; SQLite's counterpart is the FTS5 virtual table
        // message_fts (left out above with its shadow tables). The one-time indexing of older messages is recorded
        // per database in schema_steps on MySQL, where several nodes may start at once; a SQLite file has one server.
        "message_search",
        "schema_steps",
    };

    [Fact]
    public async Task Both_stores_create_the_same_tables_columns_keys_and_indexes()
    {
        var sqlite = new SqliteStoreFixture();
        var mysql = new MySqlStoreFixture();
        await sqlite.InitializeAsync();
        try
        {
            await mysql.InitializeAsync();
            try
            {
                var fromSqlite = await ReadSqliteAsync(sqlite.ConnectionString);
                var fromMySql = await ReadMySqlAsync(mysql.DatabaseName);

                Assert.NotEmpty(fromSqlite);
                Assert.Equal(fromMySql.Keys.Order(StringComparer.Ordinal), fromSqlite.Keys.Order(StringComparer.Ordinal));
                foreach (var (table, expected) in fromMySql)
                {
                    var actual = fromSqlite[table];
                    Assert.True(expected.Columns.SetEquals(actual.Columns), $"{table}: columns differ: MySQL [{string.Join(", ", expected.Columns.Order())}], SQLite [{string.Join(", ", actual.Columns.Order())}]");
                    Assert.True(expected.PrimaryKey == actual.PrimaryKey, $"{table}: primary key MySQL ({expected.PrimaryKey}), SQLite ({actual.PrimaryKey})");
                    Assert.True(expected.Indexes.SetEquals(actual.Indexes), $"{table}: indexes differ: MySQL [{string.Join("; ", expected.Indexes.Order())}], SQLite [{string.Join("; ", actual.Indexes.Order())}]");
                }
            }
            finally
            {
                await mysql.DisposeAsync();
            }
        }
        finally
        {
            await sqlite.DisposeAsync();
        }
    }

    private static async Task<Dictionary<string, TableShape>> ReadSqliteAsync(string connectionString)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            // Virtual tables (full-text indexes) and their shadow tables are the engine's own layout of an index.
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' " +
                               "AND name NOT IN (SELECT m.name FROM sqlite_master v JOIN sqlite_master m ON m.name LIKE v.name || '\\_%' ESCAPE '\\' " +
                               "WHERE v.sql LIKE 'CREATE VIRTUAL TABLE%') ORDER BY name";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var shapes = new Dictionary<string, TableShape>(StringComparer.Ordinal);
        foreach (var table in tables.Where(t => !EngineOnlyTables.Contains(t)))
        {
            var columns = new HashSet<string>(StringComparer.Ordinal);
            var primary = new SortedDictionary<int, string>();
            await using (var info = connection.CreateCommand())
            {
                info.CommandText = $"SELECT name, pk FROM pragma_table_info('{table}')";
                await using var reader = await info.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    columns.Add(reader.GetString(0));
                    if (reader.GetInt32(1) > 0)
                    {
                        primary[reader.GetInt32(1)] = reader.GetString(0);
                    }
                }
            }

            var indexes = new HashSet<string>(StringComparer.Ordinal);
            var indexList = new List<(string Name, bool Unique, string Origin)>();
            await using (var list = connection.CreateCommand())
            {
                list.CommandText = $"SELECT name, \"unique\", origin FROM pragma_index_list('{table}')";
                await using var reader = await list.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    indexList.Add((reader.GetString(0), reader.GetInt32(1) == 1, reader.GetString(2)));
                }
            }

            foreach (var (name, unique, origin) in indexList.Where(i => i.Origin != "pk"))
            {
                await using var cols = connection.CreateCommand();
                cols.CommandText = $"SELECT name FROM pragma_index_info('{name}') ORDER BY seqno";
                var names = new List<string>();
                await using var reader = await cols.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    names.Add(reader.GetString(0));
                }

                indexes.Add(Describe(unique, names));
            }

            shapes[table] = new TableShape(columns, string.Join(", ", primary.Values), indexes);
        }

        return shapes;
    }

    private static async Task<Dictionary<string, TableShape>> ReadMySqlAsync(string database)
    {
        var builder = new MySqlConnectionStringBuilder(MySqlStoreFixture.ServerConnectionString()) { Database = database };
        await using var connection = new MySqlConnection(builder.ConnectionString);
        await connection.OpenAsync();

        var shapes = new Dictionary<string, TableShape>(StringComparer.Ordinal);
        await using (var columns = new MySqlCommand("SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = @db", connection))
        {
            columns.Parameters.AddWithValue("@db", database);
            await using var reader = await columns.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var table = reader.GetString(0);
                if (!shapes.TryGetValue(table, out var shape))
                {
                    shapes[table] = shape = new TableShape(new HashSet<string>(StringComparer.Ordinal), "", new HashSet<string>(StringComparer.Ordinal));
                }

                shape.Columns.Add(reader.GetString(1));
            }
        }

        var indexColumns = new Dictionary<(string Table, string Index), (bool Unique, string Type, SortedDictionary<int, string> Columns)>();
        await using (var statistics = new MySqlCommand("SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, INDEX_TYPE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = @db", connection))
        {
            statistics.Parameters.AddWithValue("@db", database);
            await using var reader = await statistics.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var key = (reader.GetString(0), reader.GetString(1));
                if (!indexColumns.TryGetValue(key, out var index))
                {
                    indexColumns[key] = index = (reader.GetInt32(2) == 0, reader.GetString(5), new SortedDictionary<int, string>());
                }

                index.Columns[reader.GetInt32(3)] = reader.GetString(4);
            }
        }

        foreach (var ((table, name), (unique, type, columns)) in indexColumns)
        {
            var shape = shapes[table];
            if (name == "PRIMARY")
            {
                shapes[table] = shape with { PrimaryKey = string.Join(", ", columns.Values) };
            }
            else if (type != "FULLTEXT")
            {
                // A FULLTEXT index is the engine's full-text search; SQLite's is a virtual table, left out above.
                shape.Indexes.Add(Describe(unique, columns.Values));
            }
        }

        foreach (var table in EngineOnlyTables)
        {
            shapes.Remove(table);
        }

        return shapes;
    }

    private static string Describe(bool unique, IEnumerable<string> columns) => (unique ? "unique " : "") + "(" + string.Join(", ", columns) + ")";

    private sealed record TableShape(HashSet<string> Columns, string PrimaryKey, HashSet<string> Indexes);
}
