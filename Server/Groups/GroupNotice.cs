using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Chat.Server.Groups;

/// <summary>
/// The text of a system notice in a group's timeline (a ChatMessage with flags 2, docs/protocol.md 7.10): a
/// small JSON object <c>{"event":"join","actor":1001,"users":[1002,1003]}</c>. "event" is one of create,
/// join, leave, kick, rename; "actor" is the user who acted; "users" (create, join, leave, kick) the users
/// concerned; "name" (create, rename) the group name. Clients render it in their own language.
/// </summary>
public static class GroupNotice
{
    public static string Created(long actorId, string name, IReadOnlyCollection<long> members) => Write("create", actorId, members, name);

    public static string Joined(long actorId, IReadOnlyCollection<long> users) => Write("join", actorId, users, null);

    public static string Left(long userId) => Write("leave", userId, [userId], null);

    public static string Kicked(long actorId, long userId) => Write("kick", actorId, [userId], null);

    public static string Renamed(long actorId, string name) => Write("rename", actorId, null, name);

    private static string Write(string kind, long actorId, IReadOnlyCollection<long>? users, string? name)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (users?.Count ?? 0) * 20);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("event", kind);
            json.WriteNumber("actor", actorId);
            if (users is not null)
            {
                json.WriteStartArray("users");
                foreach (var user in users)
                {
                    json.WriteNumberValue(user);
                }

                json.WriteEndArray();
            }

            if (name is not null)
            {
                json.WriteString("name", name);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
