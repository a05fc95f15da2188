namespace Chat.Server.Storage.Sqlite;

/// <summary>
/// The SQLite twin of <c>schema.sql</c>: same tables, columns and keys. Times are INTEGER unix milliseconds.
/// Tables keyed by composite keys are WITHOUT ROWID, clustered on their key like InnoDB. Messages too: a message
/// lives in the (conversation, seq) order that history is read in, so an append writes that one B-tree and not a
/// rowid table beside it, and a batch's messages of one conversation share their pages.
/// </summary>
/// <remarks>
/// Search: <c>message_fts</c> is a contentless FTS5 table (the text lives in <c>messages</c> only) whose rowid is the
/// message id, over the pre-split terms of <see cref="SearchTerms"/>; the ascii tokenizer only splits them at spaces
/// (every non-ASCII character is a token character). It keeps the least an index can (no positions, no column sizes:
/// each is a cost on every stored message, docs/search.md), so it answers which messages hold all the tokens and the
/// server checks their order in the text; a recall removes a row with FTS5's delete command and the terms it had.
/// MySQL's twin is <c>message_search</c> with a FULLTEXT index over the same terms.
/// </remarks>
internal static class SqliteSchema
{
    /// <summary>
    /// Moves a messages table of the first layout (a rowid table with (conversation, seq) as a second index) to the
    /// clustered one, in the caller's transaction; the schema script then recreates the two other indexes.
    /// </summary>
    public const string UpgradeMessages = """
        ALTER TABLE messages RENAME TO messages_rowid;
        DROP INDEX IF EXISTS ux_messages_id;
        DROP INDEX IF EXISTS ux_messages_sender_client;
        CREATE TABLE messages (
          conversation_id INTEGER NOT NULL,
          seq INTEGER NOT NULL,
          id INTEGER NOT NULL,
          sender_id INTEGER NOT NULL,
          client_msg_id INTEGER NULL,
          sent_at_ms INTEGER NOT NULL,
          flags INTEGER NOT NULL DEFAULT 0,
          text TEXT NOT NULL,
          PRIMARY KEY (conversation_id, seq)
        ) WITHOUT ROWID;
        INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, sent_at_ms, flags, text)
          SELECT conversation_id, seq, id, sender_id, client_msg_id, sent_at_ms, flags, text FROM messages_rowid;
        DROP TABLE messages_rowid;
        """;

    /// <summary>True when the database holds a messages table that is still a rowid table.</summary>
    public const string NeedsMessagesUpgrade =
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'messages' AND sql NOT LIKE '%WITHOUT ROWID%'";

    /// <summary>True when the database has no search index yet (a new file, or one from before search).</summary>
    public const string NeedsSearchIndex = "SELECT COUNT(*) = 0 FROM sqlite_master WHERE name = 'message_fts'";

    /// <summary>The messages an upgrade indexes: all of them; <see cref="SearchTerms.IsIndexed"/> picks.</summary>
    public const string MessagesToIndex = "SELECT id, conversation_id, flags, text FROM messages";

    public const string InsertSearchTerms = "INSERT INTO message_fts (rowid, terms) VALUES (@id, @terms)";

    public const string Script = """
        CREATE TABLE IF NOT EXISTS users (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          username TEXT NOT NULL,
          username_key TEXT NOT NULL,
          nickname TEXT NOT NULL,
          email TEXT NOT NULL,
          phone TEXT NOT NULL,
          password_hash TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          last_seen_at INTEGER NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS ux_users_username_key ON users (username_key);
        CREATE UNIQUE INDEX IF NOT EXISTS ux_users_phone ON users (phone);

        CREATE TABLE IF NOT EXISTS sms_codes (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          phone TEXT NOT NULL,
          purpose INTEGER NOT NULL,
          code_hash TEXT NOT NULL,
          sent_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          consumed INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS ix_sms_codes_phone_purpose ON sms_codes (phone, purpose, id);
        CREATE INDEX IF NOT EXISTS ix_sms_codes_phone_sent ON sms_codes (phone, sent_at);

        CREATE TABLE IF NOT EXISTS tokens (
          token_hash TEXT NOT NULL PRIMARY KEY,
          user_id INTEGER NOT NULL,
          device TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          revoked INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_tokens_user ON tokens (user_id);

        CREATE TABLE IF NOT EXISTS friend_requests (
          from_user INTEGER NOT NULL,
          to_user INTEGER NOT NULL,
          note TEXT NOT NULL,
          status INTEGER NOT NULL,
          created_at INTEGER NOT NULL,
          PRIMARY KEY (from_user, to_user)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_friend_requests_to ON friend_requests (to_user, status, created_at);

        CREATE TABLE IF NOT EXISTS friendships (
          user_id INTEGER NOT NULL,
          friend_id INTEGER NOT NULL,
          remark TEXT NOT NULL DEFAULT '',
          created_at INTEGER NOT NULL,
          PRIMARY KEY (user_id, friend_id)
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS blocks (
          user_id INTEGER NOT NULL,
          blocked_id INTEGER NOT NULL,
          created_at INTEGER NOT NULL,
          PRIMARY KEY (user_id, blocked_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_blocks_blocked ON blocks (blocked_id);

        CREATE TABLE IF NOT EXISTS conversations (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          kind INTEGER NOT NULL,
          last_seq INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL
        );

        CREATE TABLE IF NOT EXISTS direct_conversations (
          user_lo INTEGER NOT NULL,
          user_hi INTEGER NOT NULL,
          conversation_id INTEGER NOT NULL,
          PRIMARY KEY (user_lo, user_hi)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX IF NOT EXISTS ux_direct_conversations_conversation ON direct_conversations (conversation_id);

        CREATE TABLE IF NOT EXISTS conversation_members (
          conversation_id INTEGER NOT NULL,
          user_id INTEGER NOT NULL,
          role INTEGER NOT NULL DEFAULT 0,
          read_seq INTEGER NOT NULL DEFAULT 0,
          delivered_seq INTEGER NOT NULL DEFAULT 0,
          joined_seq INTEGER NOT NULL DEFAULT 0,
          active INTEGER NOT NULL DEFAULT 1,
          PRIMARY KEY (conversation_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_conversation_members_user ON conversation_members (user_id, active);

        CREATE TABLE IF NOT EXISTS messages (
          conversation_id INTEGER NOT NULL,
          seq INTEGER NOT NULL,
          id INTEGER NOT NULL,
          sender_id INTEGER NOT NULL,
          client_msg_id INTEGER NULL,
          sent_at_ms INTEGER NOT NULL,
          flags INTEGER NOT NULL DEFAULT 0,
          text TEXT NOT NULL,
          PRIMARY KEY (conversation_id, seq)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX IF NOT EXISTS ux_messages_id ON messages (id);
        CREATE UNIQUE INDEX IF NOT EXISTS ux_messages_sender_client ON messages (sender_id, client_msg_id);

        CREATE TABLE IF NOT EXISTS message_mentions (
          conversation_id INTEGER NOT NULL,
          seq INTEGER NOT NULL,
          user_id INTEGER NOT NULL,
          PRIMARY KEY (conversation_id, seq, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_message_mentions_user ON message_mentions (user_id, conversation_id, seq);

        CREATE TABLE IF NOT EXISTS chat_groups (
          id INTEGER NOT NULL PRIMARY KEY,
          name TEXT NOT NULL,
          owner_id INTEGER NOT NULL,
          dismissed INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_chat_groups_owner ON chat_groups (owner_id);

        CREATE TABLE IF NOT EXISTS attachments (
          id TEXT NOT NULL PRIMARY KEY,
          owner_id INTEGER NOT NULL,
          state INTEGER NOT NULL,
          name TEXT NOT NULL,
          media_type TEXT NOT NULL,
          size INTEGER NOT NULL,
          sha256 TEXT NOT NULL,
          blob_hash TEXT NULL,
          width INTEGER NOT NULL DEFAULT 0,
          height INTEGER NOT NULL DEFAULT 0,
          thumb_id TEXT NULL,
          source_id TEXT NULL,
          created_at INTEGER NOT NULL,
          touched_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_attachments_owner ON attachments (owner_id, created_at);
        CREATE INDEX IF NOT EXISTS ix_attachments_state ON attachments (state, touched_at);
        CREATE INDEX IF NOT EXISTS ix_attachments_blob ON attachments (blob_hash);
        CREATE INDEX IF NOT EXISTS ix_attachments_source ON attachments (source_id);

        CREATE TABLE IF NOT EXISTS message_attachments (
          conversation_id INTEGER NOT NULL,
          seq INTEGER NOT NULL,
          attachment_id TEXT NOT NULL,
          PRIMARY KEY (conversation_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_message_attachments_attachment ON message_attachments (attachment_id);

        CREATE TABLE IF NOT EXISTS upload_days (
          owner_id INTEGER NOT NULL,
          day INTEGER NOT NULL,
          bytes INTEGER NOT NULL,
          PRIMARY KEY (owner_id, day)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_upload_days_day ON upload_days (day);

        CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5(
          terms,
          content = '',
          columnsize = 0,
          detail = none,
          tokenize = "ascii tokenchars '_'"
        );
        """;
}
