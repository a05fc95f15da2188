using Chat.Server.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Chat.Server.Storage.Sqlite;

/// <summary>
/// The group commit's SQL for SQLite, where a statement is a function call, not a round trip: one prepared statement
/// per row, kept prepared on the single writer connection from batch to batch (binding a few named parameters costs
/// little; parsing SQL or binding hundreds of names per statement cost most of the CPU before). The insert itself
/// tells a duplicate (ON CONFLICT on the (sender, client message id) key), so a fresh message costs no probe.
/// </summary>
/// <remarks>
/// Conversations' last seqs are kept in memory between batches: this process is the file's only writer of messages,
/// and <c>PRAGMA data_version</c> (which moves when any other connection commits to the file) drops the copy if
/// anyone else wrote. A batch that rolls back drops it too.
/// </remarks>
internal sealed class SqliteBatchWriter : BatchWriter
{
    private const int MaxCachedConversations = 100_000;

    private readonly Dictionary<long, long> _lastSeqCache = [];
    private SqliteConnection? _connection;
    private long _dataVersion = -1;
    private SqliteCommand? _dataVersionCommand;
    private SqliteCommand? _selectLastSeq;
    private SqliteCommand? _insert;
    private SqliteCommand? _findOriginal;
    private SqliteCommand? _insertMention;
    private SqliteCommand? _setLastSeq;
    private SqliteCommand? _raiseMarkers;

    public SqliteBatchWriter(MessageIdGenerator ids)
        : base(ids)
    {
    }

    public override void RolledBack() => _lastSeqCache.Clear();

    protected override void LoadLastSeqs(SqlSession s, List<long> sortedIds, Dictionary<long, long> lastSeq)
    {
        Bind(s);
        var version = Convert.ToInt64(_dataVersionCommand!.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (version != _dataVersion)
        {
            _lastSeqCache.Clear();
            _dataVersion = version;
        }

        if (_lastSeqCache.Count > MaxCachedConversations)
        {
            _lastSeqCache.Clear();
        }

        foreach (var id in sortedIds)
        {
            if (!_lastSeqCache.TryGetValue(id, out var last))
            {
                _selectLastSeq!.Parameters[0].Value = id;
                if (_selectLastSeq.ExecuteScalar() is not long found)
                {
                    continue;
                }

                _lastSeqCache[id] = last = found;
            }

            lastSeq[id] = last;
        }
    }

    protected override void BeginMessages(SqlSession s, List<MessageWrite> keyed)
    {
    }

    protected override StoredMessage? KnownOriginal(MessageWrite message) => null;

    protected override bool Insert(SqlSession s, MessageWrite message)
    {
        var p = _insert!.Parameters;
        p[0].Value = message.ConversationId;
        p[1].Value = message.Seq;
        p[2].Value = message.MessageId;
        p[3].Value = message.SenderId;
        p[4].Value = message.ClientMessageId == 0 ? DBNull.Value : message.ClientMessageId; // NULL: no idempotency key, never a duplicate
        p[5].Value = message.SentAtMs;
        p[6].Value = (int)message.Flags;
        p[7].Value = message.Text;
        return _insert.ExecuteNonQuery() == 1;
    }

    protected override StoredMessage FindOriginal(SqlSession s, MessageWrite message)
    {
        _findOriginal!.Parameters[0].Value = message.SenderId;
        _findOriginal.Parameters[1].Value = message.ClientMessageId;
        var found = SqlMessageStore.WithMentions(s, SqlMessageStore.ReadMessages(_findOriginal));
        return found.Count > 0 ? found[0] : throw new InvalidOperationException("A message key conflicted, but no message has it.");
    }

    protected override void EndMessages(SqlSession s)
    {
    }

    protected override void InsertMentions(SqlSession s, List<MessageWrite> messages)
    {
        var p = _insertMention!.Parameters;
        foreach (var message in messages)
        {
            foreach (var user in message.Mentions)
            {
                p[0].Value = message.ConversationId;
                p[1].Value = message.Seq;
                p[2].Value = user;
                _insertMention.ExecuteNonQuery();
            }
        }
    }

    protected override void SetLastSeqs(SqlSession s, Dictionary<long, long> lastSeqs)
    {
        var p = _setLastSeq!.Parameters;
        foreach (var (conversation, seq) in lastSeqs)
        {
            p[0].Value = seq;
            p[1].Value = conversation;
            _setLastSeq.ExecuteNonQuery();
            _lastSeqCache[conversation] = seq;
        }
    }

    protected override void RaiseMarkers(SqlSession s, Dictionary<(long Conversation, long User), MarkerRaise> markers)
    {
        var p = _raiseMarkers!.Parameters;
        foreach (var ((conversation, user), raise) in markers)
        {
            p[0].Value = raise.ReadTarget;
            p[1].Value = raise.DeliveredTarget;
            p[2].Value = conversation;
            p[3].Value = user;
            p[4].Value = raise.Own > 0 ? 1 : 0;
            if (!raise.HasReceipt)
            {
                _raiseMarkers.ExecuteNonQuery();
                continue;
            }

            using var reader = _raiseMarkers.ExecuteReader();
            if (reader.Read() && reader.GetInt64(2) != 0)
            {
                ref var stored = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(markers, (conversation, user));
                stored.StoredRead = reader.GetInt64(0);
                stored.StoredDelivered = reader.GetInt64(1);
            }
        }
    }

    /// <summary>Prepares the statements on the writer connection once, and points them at this batch's transaction.</summary>
    private void Bind(SqlSession s)
    {
        var connection = (SqliteConnection)s.Connection;
        if (!ReferenceEquals(connection, _connection))
        {
            _connection = connection;
            _dataVersion = -1;
            _lastSeqCache.Clear();
            _dataVersionCommand = Prepare(connection, "PRAGMA data_version");
            _selectLastSeq = Prepare(connection, "SELECT last_seq FROM conversations WHERE id = @c", "@c");
            _insert = Prepare(
                connection,
                "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, sent_at_ms, flags, text) " +
                "VALUES (@c, @s, @i, @u, @k, @t, @f, @x) ON CONFLICT (sender_id, client_msg_id) DO NOTHING",
                "@c", "@s", "@i", "@u", "@k", "@t", "@f", "@x");
            _findOriginal = Prepare(connection, $"SELECT {SqlMessageStore.MessageColumns} FROM messages WHERE sender_id = @s AND client_msg_id = @k", "@s", "@k");
            _insertMention = Prepare(connection, "INSERT INTO message_mentions (conversation_id, seq, user_id) VALUES (@c, @s, @u)", "@c", "@s", "@u");
            _setLastSeq = Prepare(connection, "UPDATE conversations SET last_seq = @ls WHERE id = @c", "@ls", "@c");

            // The sender's own advance applies to an inactive row too (a notice by someone who just left); a receipt
            // only to an active member.
            _raiseMarkers = Prepare(
                connection,
                "UPDATE conversation_members SET read_seq = MAX(read_seq, @r), delivered_seq = MAX(delivered_seq, @d) " +
                "WHERE conversation_id = @c AND user_id = @u AND (active = 1 OR @own = 1) RETURNING read_seq, delivered_seq, active",
                "@r", "@d", "@c", "@u", "@own");
        }

        var tx = (SqliteTransaction?)s.Transaction;
        foreach (var command in new[] { _dataVersionCommand, _selectLastSeq, _insert, _findOriginal, _insertMention, _setLastSeq, _raiseMarkers })
        {
            command!.Transaction = tx;
        }
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter(name, 0L));
        }

        return command;
    }
}
