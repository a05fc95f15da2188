using System.Data.Common;
using System.Runtime.CompilerServices;

namespace Chat.Server.Storage.Sql;

internal sealed class SqlAccountStore(SqlDatabase db) : IAccountStore
{
    private const string UserColumns = "id, username, nickname, email, phone, password_hash, created_at, last_seen_at";

    public async Task<CreateUserResult> CreateUserAsync(NewUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        try
        {
            var id = await db.WriteAsync(
                async s =>
                {
                    await using var cmd = s.Command(
                        "INSERT INTO users (username, username_key, nickname, email, phone, password_hash, created_at) " +
                        "VALUES (@username, @key, @nickname, @email, @phone, @hash, @created)")
                        .With("@username", user.Username).With("@key", user.UsernameKey).With("@nickname", user.Nickname)
                        .With("@email", user.Email).With("@phone", user.Phone).With("@hash", user.PasswordHash)
                        .With("@created", user.CreatedAt.ToMs());
                    return await db.ExecuteInsertAsync(cmd, cancellationToken);
                },
                transaction: false,
                cancellationToken);
            return new CreateUserResult(CreateUserOutcome.Created, id);
        }
        catch (DbException ex) when (db.IsUniqueViolation(ex))
        {
            // Both engines name the violated index or column in the message: ux_users_phone / users.phone.
            var outcome = ex.Message.Contains("phone", StringComparison.OrdinalIgnoreCase) ? CreateUserOutcome.PhoneTaken : CreateUserOutcome.UsernameTaken;
            return new CreateUserResult(outcome, 0);
        }
    }

    public Task<UserRecord?> FindByUsernameKeyAsync(string usernameKey, CancellationToken cancellationToken) =>
        FindOneAsync("username_key = @v", usernameKey, cancellationToken);

    public Task<UserRecord?> FindByPhoneAsync(string phone, CancellationToken cancellationToken) =>
        FindOneAsync("phone = @v", phone, cancellationToken);

    public Task<UserRecord?> GetAsync(long userId, CancellationToken cancellationToken) =>
        FindOneAsync("id = @v", userId, cancellationToken);

    public async Task<IReadOnlyList<UserRecord>> GetManyAsync(IReadOnlyCollection<long> userIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        if (userIds.Count == 0)
        {
            return [];
        }

        return await db.ReadAsync(
            async s =>
            {
                var users = new List<UserRecord>(userIds.Count);
                foreach (var chunk in userIds.Distinct().Chunk(500))
                {
                    await using var cmd = s.Command("");
                    cmd.CommandText = $"SELECT {UserColumns} FROM users WHERE id IN ({SqlText.InList(cmd, "@u", chunk)})";
                    await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        users.Add(ReadUser(reader));
                    }
                }

                return (IReadOnlyList<UserRecord>)users;
            },
            cancellationToken);
    }

    public Task UpdatePasswordHashAsync(long userId, string passwordHash, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE users SET password_hash = @hash WHERE id = @id", cmd => cmd.With("@hash", passwordHash).With("@id", userId), cancellationToken);

    public async Task<bool> UpdateProfileAsync(long userId, string nickname, string email, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            "UPDATE users SET nickname = @nickname, email = @email WHERE id = @id",
            cmd => cmd.With("@nickname", nickname).With("@email", email).With("@id", userId),
            cancellationToken) > 0;

    public Task SetLastSeenManyAsync(IReadOnlyCollection<KeyValuePair<long, DateTimeOffset>> lastSeen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lastSeen);
        if (lastSeen.Count == 0)
        {
            return Task.CompletedTask;
        }

        return db.WriteAsync(
            async s =>
            {
                // One prepared statement run per row: both engines reuse it, and the transaction makes it one commit.
                await using var cmd = s.Command("UPDATE users SET last_seen_at = @at WHERE id = @id").With("@at", 0L).With("@id", 0L);
                var rows = 0;
                foreach (var (userId, at) in lastSeen)
                {
                    cmd.Parameters[0].Value = at.ToMs();
                    cmd.Parameters[1].Value = userId;
                    rows += await cmd.ExecuteNonQueryAsync(cancellationToken);
                }

                return rows;
            },
            transaction: true,
            cancellationToken);
    }

    public Task<long> SaveSmsCodeAsync(NewSmsCode code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        return db.WriteAsync(
            async s =>
            {
                await using var cmd = s.Command(
                    "INSERT INTO sms_codes (phone, purpose, code_hash, sent_at, expires_at, attempts, consumed) " +
                    "VALUES (@phone, @purpose, @hash, @sent, @expires, 0, 0)")
                    .With("@phone", code.Phone).With("@purpose", (int)code.Purpose).With("@hash", code.CodeHash)
                    .With("@sent", code.SentAt.ToMs()).With("@expires", code.ExpiresAt.ToMs());
                return await db.ExecuteInsertAsync(cmd, cancellationToken);
            },
            transaction: false,
            cancellationToken);
    }

    public Task<SmsCodeRecord?> GetLatestSmsCodeAsync(string phone, SmsPurpose purpose, CancellationToken cancellationToken) =>
        db.ReadAsync(
            async s =>
            {
                await using var cmd = s.Command(
                    "SELECT id, phone, purpose, code_hash, sent_at, expires_at, attempts, consumed FROM sms_codes " +
                    "WHERE phone = @phone AND purpose = @purpose ORDER BY id DESC LIMIT 1")
                    .With("@phone", phone).With("@purpose", (int)purpose);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken))
                {
                    return null;
                }

                return new SmsCodeRecord(
                    reader.Int64(0), reader.GetString(1), (SmsPurpose)reader.Int32(2), reader.GetString(3),
                    reader.Time(4), reader.Time(5), reader.Int32(6), reader.Bool(7));
            },
            cancellationToken);

    public Task<int> AddSmsAttemptAsync(long codeId, CancellationToken cancellationToken) =>
        db.WriteAsync(
            async s =>
            {
                await using (var update = s.Command("UPDATE sms_codes SET attempts = attempts + 1 WHERE id = @id").With("@id", codeId))
                {
                    await update.ExecuteNonQueryAsync(cancellationToken);
                }

                await using var select = s.Command("SELECT attempts FROM sms_codes WHERE id = @id").With("@id", codeId);
                return (int)(await select.ScalarInt64Async(cancellationToken) ?? 0);
            },
            transaction: true,
            cancellationToken);

    public async Task<bool> ConsumeSmsCodeAsync(long codeId, CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE sms_codes SET consumed = 1 WHERE id = @id AND consumed = 0", cmd => cmd.With("@id", codeId), cancellationToken) > 0;

    public Task<int> CountSmsSentSinceAsync(string phone, DateTimeOffset since, CancellationToken cancellationToken) =>
        db.ReadAsync(
            async s =>
            {
                await using var cmd = s.Command("SELECT COUNT(*) FROM sms_codes WHERE phone = @phone AND sent_at >= @since")
                    .With("@phone", phone).With("@since", since.ToMs());
                return (int)(await cmd.ScalarInt64Async(cancellationToken) ?? 0);
            },
            cancellationToken);

    public Task CreateTokenAsync(NewToken token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        return ExecuteAsync(
            "INSERT INTO tokens (token_hash, user_id, device, created_at, expires_at, revoked) VALUES (@hash, @user, @device, @created, @expires, 0)",
            cmd => cmd.With("@hash", token.TokenHash).With("@user", token.UserId).With("@device", token.Device)
                .With("@created", token.CreatedAt.ToMs()).With("@expires", token.ExpiresAt.ToMs()),
            cancellationToken);
    }

    public Task<TokenRecord?> FindTokenAsync(string tokenHash, CancellationToken cancellationToken) =>
        db.ReadAsync(
            async s =>
            {
                await using var cmd = s.Command("SELECT token_hash, user_id, device, created_at, expires_at, revoked FROM tokens WHERE token_hash = @hash")
                    .With("@hash", tokenHash);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken))
                {
                    return null;
                }

                return new TokenRecord(reader.GetString(0), reader.Int64(1), reader.GetString(2), reader.Time(3), reader.Time(4), reader.Bool(5));
            },
            cancellationToken);

    public Task RevokeTokenAsync(string tokenHash, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE tokens SET revoked = 1 WHERE token_hash = @hash", cmd => cmd.With("@hash", tokenHash), cancellationToken);

    private const string TokenOwnerSql =
        "SELECT u.id, u.username, u.nickname, t.expires_at, t.revoked FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = @hash";

    /// <summary>
    /// Every token sign-in reads this: through <see cref="SqlDatabase.ReadRowsAsync{TState}"/>, the engine's leanest
    /// read. SQLite's completes before it returns, and then no task is allocated for the answer.
    /// </summary>
    public ValueTask<TokenOwner?> FindTokenOwnerAsync(string tokenHash, CancellationToken cancellationToken)
    {
        var found = new StrongBox<TokenOwner?>();
        var read = db.ReadRowsAsync(
            TokenOwnerSql,
            "@hash",
            tokenHash,
            found,
            static (row, found) => found.Value = new TokenOwner(
                row.Int64(0), row.Text(1), row.Text(2), DateTimeOffset.FromUnixTimeMilliseconds(row.Int64(3)), row.Int64(4) != 0),
            cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<TokenOwner?>(found.Value) : AfterAsync(read, found);

        static async ValueTask<TokenOwner?> AfterAsync(Task read, StrongBox<TokenOwner?> found)
        {
            await read;
            return found.Value;
        }
    }

    public Task RevokeAllTokensAsync(long userId, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE tokens SET revoked = 1 WHERE user_id = @user AND revoked = 0", cmd => cmd.With("@user", userId), cancellationToken);

    private Task<UserRecord?> FindOneAsync(string where, object value, CancellationToken cancellationToken) =>
        db.ReadAsync(
            async s =>
            {
                await using var cmd = s.Command($"SELECT {UserColumns} FROM users WHERE {where}").With("@v", value);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                return await reader.ReadAsync(cancellationToken) ? ReadUser(reader) : null;
            },
            cancellationToken);

    private static UserRecord ReadUser(DbDataReader r) =>
        new(r.Int64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.Time(6), r.NullableTime(7));

    /// <summary>One statement on the write path; returns the rows it matched.</summary>
    private Task<int> ExecuteAsync(string sql, Action<DbCommand> bind, CancellationToken cancellationToken) =>
        db.WriteAsync(
            async s =>
            {
                await using var cmd = s.Command(sql);
                bind(cmd);
                return await cmd.ExecuteNonQueryAsync(cancellationToken);
            },
            transaction: false,
            cancellationToken);
}
