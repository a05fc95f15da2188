using Chat.Server.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Chat.Server.Storage.Sqlite;

/// <summary>
/// The group commit's SQL for SQLite, where a statement is a function call, not a round trip: one prepared statement
/// per row, kept prepared on the single writer connection from batch to batch and run through SQLitePCLRaw
/// (<see cref="SqliteStatement"/>: positional binding, no objects per execution). The insert itself tells a duplicate
/// (ON CONFLICT on the (sender, client message id) key), so a fresh message costs no probe. A stored message's search
/// terms go into the FTS5 table by one more statement.
/// </summary>
/// <remarks>
/// Conversations' last seqs are kept in memory between batches: this process is the file's only writer of messages,
/// and <c>PRAGMA data_version</c> (which moves when any other connection commits to the file) drops the copy if
/// anyone else wrote. A batch that rolls back drops it too.
/// </remarks>
internal sealed class SqliteBatchWriter : BatchWriter, IDisposable
{
    private const int MaxCachedConversations = 100_000;

    private readonly Dictionary<long, long> _lastSeqCache = [];
    private SqliteConnection? _connection;
    private long _dataVersion = -1;
    private SqliteCommand? _dataVersionCommand;
    private SqliteCommand? _findOriginal;
    private SqliteStatement? _selectLastSeq;
    private SqliteStatement? _insert;
    private SqliteStatement? _index;
    private SqliteStatement? _insertMention;
    private SqliteStatement? _insertAttachment;
    private SqliteStatement? _setLastSeq;
    private SqliteStatement? _raiseMarkers;

    public SqliteBatchWriter(MessageIdGenerator ids)
        : base(ids)
    {
    }

    public override void RolledBack() => _lastSeqCache.Clear();

    public void Dispose() => ReleaseStatements();

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
                _selectLastSeq!.Bind(1, id);
                var exists = _selectLastSeq.Step();
                last = exists ? _selectLastSeq.Column(0) : 0;
                _selectLastSeq.Reset();
                if (!exists)
                {
                    continue;
                }

                _lastSeqCache[id] = last;
            }

            lastSeq[id] = last;
        }
    }

    protected override void BeginMessages(SqlSession s, List<MessageWrite> keyed, bool probe)
    {
    }

    protected override StoredMessage? KnownOriginal(MessageWrite message) => null;

    protected override bool Insert(SqlSession s, MessageWrite message)
    {
        var insert = _insert!;
        insert.Bind(1, message.ConversationId);
        insert.Bind(2, message.Seq);
        insert.Bind(3, message.MessageId);
        insert.Bind(4, message.SenderId);
        if (message.ClientMessageId == 0)
        {
            insert.BindNull(5); // NULL: no idempotency key, never a duplicate
        }
        else
        {
            insert.Bind(5, message.ClientMessageId);
        }

        insert.Bind(6, message.SentAtMs);
        insert.Bind(7, (long)message.Flags);
        insert.Bind(8, message.Text);
        if (insert.Execute() != 1)
        {
            return false;
        }

        if (SearchTerms.IsIndexed(message.Flags))
        {
            // Indexed in the batch's transaction: a message is searchable exactly when it is stored.
            _index!.Bind(1, message.MessageId);
            _index.Bind(2, SearchTerms.ForMessage(message.ConversationId, message.Text));
            _index.Execute();
        }

        return true;
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
        var insert = _insertMention!;
        foreach (var message in messages)
        {
            foreach (var user in message.Mentions)
            {
                insert.Bind(1, message.ConversationId);
                insert.Bind(2, message.Seq);
                insert.Bind(3, user);
                insert.Execute();
            }
        }
    }

    protected override void InsertAttachments(SqlSession s, List<MessageWrite> messages)
    {
        var insert = _insertAttachment!;
        foreach (var message in messages)
        {
            insert.Bind(1, message.ConversationId);
            insert.Bind(2, message.Seq);
            insert.Bind(3, message.Attachment!.Id);
            insert.Execute();
        }
    }

    protected override void SetLastSeqs(SqlSession s, Dictionary<long, long> lastSeqs)
    {
        var update = _setLastSeq!;
        foreach (var (conversation, seq) in lastSeqs)
        {
            update.Bind(1, seq);
            update.Bind(2, conversation);
            update.Execute();
            _lastSeqCache[conversation] = seq;
        }
    }

    protected override void RaiseMarkers(SqlSession s, Dictionary<(long Conversation, long User), MarkerRaise> markers)
    {
        var update = _raiseMarkers!;
        foreach (var ((conversation, user), raise) in markers)
        {
            update.Bind(1, raise.ReadTarget);
            update.Bind(2, raise.DeliveredTarget);
            update.Bind(3, conversation);
            update.Bind(4, user);
            update.Bind(5, raise.Own > 0 ? 1 : 0);
            if (!raise.HasReceipt)
            {
                update.Execute();
                continue;
            }

            try
            {
                if (update.Step() && update.Column(2) != 0)
                {
                    ref var stored = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(markers, (conversation, user));
                    stored.StoredRead = update.Column(0);
                    stored.StoredDelivered = update.Column(1);
                }
            }
            finally
            {
                update.Reset();
            }
        }
    }

    /// <summary>Prepares the statements on the writer connection once, and points the commands at this batch's transaction.</summary>
    private void Bind(SqlSession s)
    {
        var connection = (SqliteConnection)s.Connection;
        if (!ReferenceEquals(connection, _connection))
        {
            ReleaseStatements();
            _connection = connection;
            _dataVersion = -1;
            _lastSeqCache.Clear();
            _dataVersionCommand = Prepare(connection, "PRAGMA data_version");
            _findOriginal = Prepare(connection, $"SELECT {SqlMessageStore.MessageColumns} FROM messages WHERE sender_id = @s AND client_msg_id = @k", "@s", "@k");
            _selectLastSeq = new SqliteStatement(connection, "SELECT last_seq FROM conversations WHERE id = ?1");
            _insert = new SqliteStatement(
                connection,
                "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, sent_at_ms, flags, text) " +
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (sender_id, client_msg_id) DO NOTHING");
            _index = new SqliteStatement(connection, "INSERT INTO message_fts (rowid, terms) VALUES (?1, ?2)");
            _insertMention = new SqliteStatement(connection, "INSERT INTO message_mentions (conversation_id, seq, user_id) VALUES (?1, ?2, ?3)");
            _insertAttachment = new SqliteStatement(connection, "INSERT INTO message_attachments (conversation_id, seq, attachment_id) VALUES (?1, ?2, ?3)");
            _setLastSeq = new SqliteStatement(connection, "UPDATE conversations SET last_seq = ?1 WHERE id = ?2");

            // The sender's own advance applies to an inactive row too (a notice by someone who just left); a receipt
            // only to an active member.
            _raiseMarkers = new SqliteStatement(
                connection,
                "UPDATE conversation_members SET read_seq = MAX(read_seq, ?1), delivered_seq = MAX(delivered_seq, ?2) " +
                "WHERE conversation_id = ?3 AND user_id = ?4 AND (active = 1 OR ?5 = 1) RETURNING read_seq, delivered_seq, active");
        }

        var tx = (SqliteTransaction?)s.Transaction;
        _dataVersionCommand!.Transaction = tx;
        _findOriginal!.Transaction = tx;
    }

    private void ReleaseStatements()
    {
        foreach (var statement in new[] { _selectLastSeq, _insert, _index, _insertMention, _insertAttachment, _setLastSeq, _raiseMarkers })
        {
            statement?.Dispose();
        }

        _dataVersionCommand?.Dispose();
        _findOriginal?.Dispose();
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
