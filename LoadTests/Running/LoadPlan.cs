namespace Chat.LoadTests.Running;

/// <summary>
/// Who does what, by global user index, so that the coordinator and every worker process agree on the
/// roles whatever slice of the users they hold. Pairs are (2k, 2k+1) and slices start at even indices,
/// so both partners of a pair are always in the same process.
/// </summary>
public sealed class LoadPlan
{
    private LoadPlan(UserRole[] roles, int messages, int window, int reconnects, TimeSpan hold)
    {
        Roles = roles;
        Messages = messages;
        Window = window;
        Reconnects = reconnects;
        Hold = hold;
    }

    public UserRole[] Roles { get; }

    public int Users => Roles.Length;

    /// <summary>Messages each sender sends.</summary>
    public int Messages { get; }

    /// <summary>Sends in flight per sender.</summary>
    public int Window { get; }

    /// <summary>Token sign-ins of the reconnect storm, over all processes.</summary>
    public int Reconnects { get; }

    /// <summary>How long connections are held at least.</summary>
    public TimeSpan Hold { get; }

    public int GroupSenders => Roles.Count(r => r == UserRole.GroupSender);

    /// <summary>Users in the group, senders included; the group must have exactly these members.</summary>
    public int GroupMembers => Roles.Count(r => r is UserRole.GroupMember or UserRole.GroupSender);

    public bool HasGroup => Roles.Any(r => r is UserRole.GroupMember or UserRole.GroupSender);

    public static LoadPlan For(LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var n = options.Users;
        var roles = new UserRole[n];
        var reconnects = 0;
        switch (options.Scenario)
        {
            case "connect":
                break;
            case "pairs":
                Fill(roles, 0, n - (n % 2), UserRole.PairChatter);
                break;
            case "group":
                var members = Math.Min(n, options.GroupSize ?? n);
                Fill(roles, 0, members, UserRole.GroupMember);
                Fill(roles, 0, Math.Min(members, options.Senders), UserRole.GroupSender);
                break;
            case "reconnect":
                Fill(roles, 0, n, UserRole.Reconnector);
                reconnects = options.Reconnects ?? n;
                break;
            case "mixed":
                // Group first (the seed's group is users 0..G-1), kept even so that the pairs after it line up.
                var group = Even(Math.Min(n, options.GroupSize ?? Math.Min(500, n / 10)));
                var chatters = Even(Math.Min(n - group, options.Chatters ?? n / 10));
                var reconnectors = Math.Min(n - group - chatters, options.Reconnectors ?? n / 20);
                Fill(roles, 0, group, UserRole.GroupMember);
                Fill(roles, 0, Math.Min(group, options.Senders), UserRole.GroupSender);
                Fill(roles, group, group + chatters, UserRole.PairChatter);
                Fill(roles, group + chatters, group + chatters + reconnectors, UserRole.Reconnector);
                reconnects = reconnectors == 0 ? 0 : options.Reconnects ?? reconnectors * 10;
                break;
            default:
                throw new ArgumentException($"unknown scenario {options.Scenario}", nameof(options));
        }

        return new LoadPlan(roles, options.Messages, options.EffectiveWindow, reconnects, options.Hold);
    }

    /// <summary>Worker <paramref name="index"/>'s users: [Start, End), Start even.</summary>
    public (int Start, int End) Slice(int index, int count)
    {
        int Boundary(int i) => i >= count ? Users : Even((int)((long)Users * i / count));
        return (Boundary(index), Boundary(index + 1));
    }

    /// <summary>Message receipts the users in [start, end) should see once every sender is done.</summary>
    public long ExpectedDeliveries(int start, int end)
    {
        long senders = GroupSenders;
        long total = 0;
        for (var i = start; i < end; i++)
        {
            total += Roles[i] switch
            {
                UserRole.PairChatter => Messages,
                UserRole.GroupMember => senders * Messages,
                UserRole.GroupSender => (senders - 1) * Messages,
                _ => 0,
            };
        }

        return total;
    }

    /// <summary>This slice's share of the reconnect storm, proportional to its reconnecting users.</summary>
    public int ReconnectsFor(int start, int end)
    {
        var all = Roles.Count(r => r == UserRole.Reconnector);
        if (all == 0)
        {
            return 0;
        }

        var before = Roles.Take(start).Count(r => r == UserRole.Reconnector);
        var upTo = before + Roles.Skip(start).Take(end - start).Count(r => r == UserRole.Reconnector);
        return (int)(((long)Reconnects * upTo / all) - ((long)Reconnects * before / all));
    }

    private static int Even(int n) => n - (n % 2);

    private static void Fill(UserRole[] roles, int from, int to, UserRole role) => Array.Fill(roles, role, from, Math.Max(0, to - from));
}
