using System.Data.Common;
using System.Text;
using Chat.Server.Storage.Sql;
using MySqlConnector;

namespace Chat.Server.Storage.MySql;

/// <summary>
/// The group commit's SQL for MySQL / MariaDB, where every statement is a round trip: a fixed handful per batch,
/// whatever its size. The conversations are locked (SELECT ... FOR UPDATE, in id order) so that writers on several
/// nodes take turns per conversation and read its last seq inside the lock; the messages go in one multi-row INSERT,
/// optimistically: a resend (a key already stored) fails that statement, which writes nothing, and the batch is then
/// placed again with its keys probed first. Their search terms follow in the same command (one multi-row INSERT). The last seqs go in one statement, the markers in one multi-statement
/// command.
/// </summary>
internal sealed class MySqlBatchWriter : BatchWriter
{
    private readonly Dictionary<(long Sender, long ClientId), StoredMessage> _known = [];
    private readonly List<MessageWrite> _fresh = [];

    public MySqlBatchWriter(MessageIdGenerator ids)
        : base(ids)
    {
    }

    protected override void LoadLastSeqs(SqlSession s, List<long> sortedIds, Dictionary<long, long> lastSeq)
    {
        using var cmd = s.Command("");
        cmd.CommandText = $"SELECT id, last_seq FROM conversations WHERE id IN ({SqlText.InList(cmd, "@c", sortedIds)}) ORDER BY id FOR UPDATE";
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            lastSeq[reader.Int64(0)] = reader.Int64(1);
        }
    }

    protected override void BeginMessages(SqlSession s, List<MessageWrite> keyed, bool probe)
    {
        _known.Clear();
        _fresh.Clear();
        if (keyed.Count == 0 || !probe)
        {
            return;
        }

        using var cmd = s.Command("");
        var sql = new StringBuilder($"SELECT {SqlMessageStore.MessageColumns} FROM messages WHERE ");
        var n = 0;
        foreach (var message in keyed)
        {
            sql.Append(n == 0 ? "" : " OR ").Append($"(sender_id = @s{n} AND client_msg_id = @k{n})");
            cmd.With($"@s{n}", message.SenderId).With($"@k{n}", message.ClientMessageId);
            n++;
        }

        cmd.CommandText = sql.ToString();
        foreach (var message in SqlMessageStore.WithMentions(s, SqlMessageStore.ReadMessages(cmd)))
        {
            _known[(message.SenderId, message.ClientMessageId)] = message;
        }
    }

    protected override StoredMessage? KnownOriginal(MessageWrite message) =>
        _known.TryGetValue((message.SenderId, message.ClientMessageId), out var found) ? found : null;

    protected override bool Insert(SqlSession s, MessageWrite message)
    {
        _fresh.Add(message);
        return true;
    }

    /// <summary>Not reached: every key was probed before the batch's messages were placed.</summary>
    protected override StoredMessage FindOriginal(SqlSession s, MessageWrite message) =>
        throw new InvalidOperationException("MySQL keys are probed before the insert.");

    protected override void EndMessages(SqlSession s)
    {
        if (_fresh.Count == 0)
        {
            return;
        }

        using var cmd = s.Command("");
        var sql = new StringBuilder("INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, sent_at_ms, flags, text) VALUES ");
        for (var i = 0; i < _fresh.Count; i++)
        {
            var m = _fresh[i];
            sql.Append(i == 0 ? "" : ", ").Append($"(@c{i}, @s{i}, @i{i}, @u{i}, @k{i}, @t{i}, @f{i}, @x{i})");
            cmd.With($"@c{i}", m.ConversationId).With($"@s{i}", m.Seq).With($"@i{i}", m.MessageId).With($"@u{i}", m.SenderId)
                .With($"@k{i}", m.ClientMessageId == 0 ? null : m.ClientMessageId) // NULL: no idempotency key, never a duplicate
                .With($"@t{i}", m.SentAtMs).With($"@f{i}", (int)m.Flags).With($"@x{i}", m.Text);
        }

        // The search terms ride in the same command, a second statement after the messages' INSERT: if that one fails,
        // this one never runs.
        var indexed = 0;
        for (var i = 0; i < _fresh.Count; i++)
        {
            var m = _fresh[i];
            if (SearchTerms.IsIndexed(m.Flags))
            {
                sql.Append(indexed == 0 ? ";\nINSERT INTO message_search (id, terms) VALUES " : ", ").Append($"(@i{i}, @w{i})");
                cmd.With($"@w{i}", SearchTerms.ForMessage(m.ConversationId, m.Text));
                indexed++;
            }
        }

        cmd.CommandText = sql.ToString();
        try
        {
            cmd.ExecuteNonQuery();
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.DuplicateKeyEntry)
        {
            // InnoDB rolled back the statement alone; the transaction (and its locks) stands.
            throw new KeysTakenException(ex);
        }
        finally
        {
            _fresh.Clear();
        }
    }

    protected override void InsertMentions(SqlSession s, List<MessageWrite> messages)
    {
        using var cmd = s.Command("");
        var sql = new StringBuilder("INSERT INTO message_mentions (conversation_id, seq, user_id) VALUES ");
        var n = 0;
        foreach (var m in messages)
        {
            foreach (var user in m.Mentions)
            {
                sql.Append(n == 0 ? "" : ", ").Append($"(@c{n}, @s{n}, @u{n})");
                cmd.With($"@c{n}", m.ConversationId).With($"@s{n}", m.Seq).With($"@u{n}", user);
                n++;
            }
        }

        cmd.CommandText = sql.ToString();
        cmd.ExecuteNonQuery();
    }

    protected override void InsertAttachments(SqlSession s, List<MessageWrite> messages)
    {
        using var cmd = s.Command("");
        var sql = new StringBuilder("INSERT INTO message_attachments (conversation_id, seq, attachment_id) VALUES ");
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            sql.Append(i == 0 ? "" : ", ").Append($"(@c{i}, @s{i}, @a{i})");
            cmd.With($"@c{i}", m.ConversationId).With($"@s{i}", m.Seq).With($"@a{i}", m.Attachment!.Id);
        }

        cmd.CommandText = sql.ToString();
        cmd.ExecuteNonQuery();
    }

    /// <summary>One UPDATE for all conversations of the batch (a CASE on the id), not one statement each.</summary>
    protected override void SetLastSeqs(SqlSession s, Dictionary<long, long> lastSeqs)
    {
        using var cmd = s.Command("");
        var cases = new StringBuilder("UPDATE conversations SET last_seq = CASE id");
        var n = 0;
        foreach (var (conversation, seq) in lastSeqs)
        {
            cases.Append($" WHEN @lc{n} THEN @ls{n}");
            cmd.With($"@ls{n}", seq).With($"@lc{n}", conversation);
            n++;
        }

        cases.Append(" ELSE last_seq END WHERE id IN (");
        for (var i = 0; i < n; i++)
        {
            cases.Append(i == 0 ? "" : ", ").Append($"@lc{i}");
        }

        cmd.CommandText = cases.Append(')').ToString();
        cmd.ExecuteNonQuery();
    }

    protected override void RaiseMarkers(SqlSession s, Dictionary<(long Conversation, long User), MarkerRaise> markers)
    {
        using (var cmd = s.Command(""))
        {
            var sql = new StringBuilder();
            var n = 0;
            foreach (var ((conversation, user), raise) in markers)
            {
                // The sender's own advance applies to an inactive row too (a notice by someone who just left); a receipt
                // only to an active member.
                sql.Append($"UPDATE conversation_members SET read_seq = GREATEST(read_seq, @r{n}), delivered_seq = GREATEST(delivered_seq, @d{n}) ")
                    .Append($"WHERE conversation_id = @c{n} AND user_id = @u{n}{(raise.Own > 0 ? "" : " AND active = 1")};\n");
                cmd.With($"@r{n}", raise.ReadTarget).With($"@d{n}", raise.DeliveredTarget).With($"@c{n}", conversation).With($"@u{n}", user);
                n++;
            }

            cmd.CommandText = sql.ToString();
            cmd.ExecuteNonQuery();
        }

        ReadBackReceipts(s, markers);
    }

    /// <summary>The markers now stored, for the members who asked (one query; MariaDB has no UPDATE ... RETURNING).</summary>
    private static void ReadBackReceipts(SqlSession s, Dictionary<(long Conversation, long User), MarkerRaise> markers)
    {
        using var cmd = s.Command("");
        var sql = new StringBuilder("SELECT conversation_id, user_id, read_seq, delivered_seq FROM conversation_members WHERE active = 1 AND (");
        var n = 0;
        foreach (var ((conversation, user), raise) in markers)
        {
            if (!raise.HasReceipt)
            {
                continue;
            }

            sql.Append(n == 0 ? "" : " OR ").Append($"(conversation_id = @c{n} AND user_id = @u{n})");
            cmd.With($"@c{n}", conversation).With($"@u{n}", user);
            n++;
        }

        if (n == 0)
        {
            return;
        }

        cmd.CommandText = sql.Append(')').ToString();
        using DbDataReader reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            ref var stored = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(markers, (reader.Int64(0), reader.Int64(1)));
            if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref stored))
            {
                stored.StoredRead = reader.Int64(2);
                stored.StoredDelivered = reader.Int64(3);
            }
        }
    }
}
