-- Chat server schema for MySQL 8 / MariaDB 10.5+ (InnoDB, utf8mb4).
-- Apply by hand with:  mariadb -uroot < schema.sql
-- The server applies the same statements itself on start (MySqlChatStore.InitializeAsync), into the
-- database named by its connection string: it skips the CREATE DATABASE and USE lines below.
-- Times are BIGINT unix milliseconds (UTC), the same in the SQLite store: no time zone conversions anywhere.
-- Keep in step with Server/Storage/Sqlite/SqliteSchema.cs. Statements end with ';' at the end of a line.

CREATE DATABASE IF NOT EXISTS wechat_db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE wechat_db;

-- username_key is the lower-case form of username: uniqueness is case-insensitive because the key is,
-- and the binary collation keeps the comparison exactly what the application computed.
CREATE TABLE IF NOT EXISTS users (
  id BIGINT NOT NULL AUTO_INCREMENT,
  username VARCHAR(64) NOT NULL,
  username_key VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  nickname VARCHAR(128) NOT NULL,
  email VARCHAR(254) NOT NULL,
  phone VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY ux_users_username_key (username_key),
  UNIQUE KEY ux_users_phone (phone)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sms_codes (
  id BIGINT NOT NULL AUTO_INCREMENT,
  phone VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  purpose TINYINT UNSIGNED NOT NULL,
  code_hash VARCHAR(255) NOT NULL,
  sent_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  consumed TINYINT(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY ix_sms_codes_phone_purpose (phone, purpose, id),
  KEY ix_sms_codes_phone_sent (phone, sent_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Session tokens are stored hashed; the row stays after revocation so a revoked token is recognised as such.
CREATE TABLE IF NOT EXISTS tokens (
  token_hash VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id BIGINT NOT NULL,
  device VARCHAR(128) NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked TINYINT(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (token_hash),
  KEY ix_tokens_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- status: 0 pending, 1 accepted, 2 declined. A new request replaces a resolved one.
CREATE TABLE IF NOT EXISTS friend_requests (
  from_user BIGINT NOT NULL,
  to_user BIGINT NOT NULL,
  note VARCHAR(255) NOT NULL,
  status TINYINT UNSIGNED NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (from_user, to_user),
  KEY ix_friend_requests_to (to_user, status, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per direction: each side has its own remark.
CREATE TABLE IF NOT EXISTS friendships (
  user_id BIGINT NOT NULL,
  friend_id BIGINT NOT NULL,
  remark VARCHAR(128) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, friend_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS blocks (
  user_id BIGINT NOT NULL,
  blocked_id BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, blocked_id),
  KEY ix_blocks_blocked (blocked_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- kind: 1 direct, 2 group. last_seq is the seq of the newest message; appenders lock this row.
CREATE TABLE IF NOT EXISTS conversations (
  id BIGINT NOT NULL AUTO_INCREMENT,
  kind TINYINT UNSIGNED NOT NULL,
  last_seq BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The pair is stored ordered (user_lo <= user_hi), so both argument orders find the same row.
CREATE TABLE IF NOT EXISTS direct_conversations (
  user_lo BIGINT NOT NULL,
  user_hi BIGINT NOT NULL,
  conversation_id BIGINT NOT NULL,
  PRIMARY KEY (user_lo, user_hi),
  UNIQUE KEY ux_direct_conversations_conversation (conversation_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- role: 0 member, 1 admin, 2 owner. Members see messages after joined_seq; unread = last_seq - read_seq.
-- Leaving clears active (the markers survive a re-join).
CREATE TABLE IF NOT EXISTS conversation_members (
  conversation_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  role TINYINT UNSIGNED NOT NULL DEFAULT 0,
  read_seq BIGINT NOT NULL DEFAULT 0,
  delivered_seq BIGINT NOT NULL DEFAULT 0,
  joined_seq BIGINT NOT NULL DEFAULT 0,
  active TINYINT(1) NOT NULL DEFAULT 1,
  PRIMARY KEY (conversation_id, user_id),
  KEY ix_conversation_members_user (user_id, active)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- History is read by (conversation_id, seq) range scans on the clustered key. id is the time-ordered
-- message id. client_msg_id is NULL when the sender gave none (0): such messages are never deduplicated.
CREATE TABLE IF NOT EXISTS messages (
  conversation_id BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  id BIGINT NOT NULL,
  sender_id BIGINT NOT NULL,
  client_msg_id BIGINT NULL,
  sent_at_ms BIGINT NOT NULL,
  flags TINYINT UNSIGNED NOT NULL DEFAULT 0,
  text MEDIUMTEXT NOT NULL,
  PRIMARY KEY (conversation_id, seq),
  UNIQUE KEY ux_messages_id (id),
  UNIQUE KEY ux_messages_sender_client (sender_id, client_msg_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- user_id 0 stands for @all.
CREATE TABLE IF NOT EXISTS message_mentions (
  conversation_id BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  PRIMARY KEY (conversation_id, seq, user_id),
  KEY ix_message_mentions_user (user_id, conversation_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A group's id is its conversation's id. ("groups" is a reserved word in MySQL 8.)
CREATE TABLE IF NOT EXISTS chat_groups (
  id BIGINT NOT NULL,
  name VARCHAR(128) NOT NULL,
  owner_id BIGINT NOT NULL,
  dismissed TINYINT(1) NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (id),
  KEY ix_chat_groups_owner (owner_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Uploads and attachments (one id: an upload becomes its attachment once checked). state: 0 uploading, 1 ready.
-- sha256 is what the uploader declared; blob_hash what is stored (they differ for an image whose metadata was
-- stripped). A thumbnail is a row of its own whose source_id is the attachment it shows. touched_at: the last chunk
-- (an idle upload expires from it).
CREATE TABLE IF NOT EXISTS attachments (
  id CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  owner_id BIGINT NOT NULL,
  state TINYINT UNSIGNED NOT NULL,
  name VARCHAR(255) NOT NULL,
  media_type VARCHAR(127) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  size BIGINT NOT NULL,
  sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  blob_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  width INT NOT NULL DEFAULT 0,
  height INT NOT NULL DEFAULT 0,
  thumb_id CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
  source_id CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
  created_at BIGINT NOT NULL,
  touched_at BIGINT NOT NULL,
  PRIMARY KEY (id),
  KEY ix_attachments_owner (owner_id, created_at),
  KEY ix_attachments_state (state, touched_at),
  KEY ix_attachments_blob (blob_hash),
  KEY ix_attachments_source (source_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The attachment a message carries, written in the message's group-commit transaction. Only messages with an
-- attachment have a row: a text message costs nothing here. Recall deletes the row (the file is no longer served).
CREATE TABLE IF NOT EXISTS message_attachments (
  conversation_id BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  attachment_id CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (conversation_id, seq),
  KEY ix_message_attachments_attachment (attachment_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Bytes each user began uploading per UTC day (day: days since 0001-01-01), for the daily quota. Only grows within
-- its day (a cancelled or refused upload still counts); the sweeper forgets days before yesterday.
CREATE TABLE IF NOT EXISTS upload_days (
  owner_id BIGINT NOT NULL,
  day INT NOT NULL,
  bytes BIGINT NOT NULL,
  PRIMARY KEY (owner_id, day),
  KEY ix_upload_days_day (day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The bytes, when the nodes share them in the database (Chat:Attachments:Store = Database, the default on MySQL):
-- chunk rows under a data id, named either by a staged upload or by the content's SHA-256 (MySqlBlobStore).
CREATE TABLE IF NOT EXISTS blob_staging (
  staging_id CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  data_id BIGINT NOT NULL,
  length BIGINT NOT NULL,
  touched_at BIGINT NOT NULL,
  PRIMARY KEY (staging_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS blob_content (
  sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  data_id BIGINT NOT NULL,
  length BIGINT NOT NULL,
  touched_at BIGINT NOT NULL,
  PRIMARY KEY (sha256)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS blob_chunks (
  data_id BIGINT NOT NULL,
  start_offset BIGINT NOT NULL,
  bytes MEDIUMBLOB NOT NULL,
  PRIMARY KEY (data_id, start_offset)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Full-text search: one row per searchable message (user and assistant text; not notices, recall events or
-- recalled messages), written in the message's own transaction. terms is the text pre-split by the server
-- (SearchTerms.cs): words as "x<word>", CJK as overlapping bigrams "c<two chars>", the conversation as "k_<id>".
-- InnoDB's FULLTEXT parser only splits those at spaces; every token has at least three characters, so
-- innodb_ft_min_token_size (3) keeps them all, and none is in InnoDB's default stop-word list, so no server setting
-- needs changing (a custom innodb_ft_server_stopword_table must not hold such tokens). Binary collation: the terms
-- are folded already, so the index compares them exactly.
CREATE TABLE IF NOT EXISTS message_search (
  id BIGINT NOT NULL,
  terms MEDIUMTEXT NOT NULL,
  PRIMARY KEY (id),
  FULLTEXT KEY ft_message_search_terms (terms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One-time steps of an upgrade that are done once per database, not per node: 'message_search' = every
-- message stored before search existed has been indexed.
CREATE TABLE IF NOT EXISTS schema_steps (
  name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  done_at BIGINT NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
