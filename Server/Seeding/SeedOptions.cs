using System.Globalization;

namespace Chat.Server.Seeding;

/// <summary>
/// Arguments of <c>Chat.Server seed</c>. Anything the seed does not know (for example
/// <c>--Chat:Storage:ConnectionString=...</c>) is passed on to the configuration, exactly as for the server.
/// </summary>
public sealed class SeedOptions
{
    public const string Usage =
        "usage: Chat.Server seed --users N [--prefix lt] [--password abc12345x] [--phone-prefix 170] [--pairs] [--group G]\n" +
        "                        [--tokens FILE] [--shared-hash] [--Chat:Storage:Provider=Sqlite|MySql] [--Chat:Storage:ConnectionString=...]";

    /// <summary>How many users: <c>{prefix}0</c> .. <c>{prefix}{N-1}</c>.</summary>
    public int Users { get; set; }

    public string Prefix { get; set; } = "lt";

    public string Password { get; set; } = "abc12345x";

    /// <summary>Three digits; user i gets the phone <c>{PhonePrefix}{i:D8}</c>.</summary>
    public string PhonePrefix { get; set; } = "170";

    /// <summary>Makes users 2k and 2k+1 friends.</summary>
    public bool Pairs { get; set; }

    /// <summary>When above 0, users 0..G-1 form one group owned by user 0.</summary>
    public int Group { get; set; }

    /// <summary>When set, a session token is issued for every user and written here (username, user id, token; tab-separated).</summary>
    public string? TokensFile { get; set; }

    /// <summary>Computes one Argon2id hash and stores it for every seeded user (same salt), instead of one hash per user.</summary>
    public bool SharedHash { get; set; }

    /// <summary>The arguments that are not seed options, handed to the configuration builder.</summary>
    public List<string> ConfigurationArgs { get; } = [];

    /// <summary>Parses the arguments after "seed"; returns null and an error text when they are wrong.</summary>
    public static SeedOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new SeedOptions();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Next()
            {
                if (i + 1 >= args.Count)
                {
                    throw new FormatException($"{arg} needs a value");
                }

                return args[++i];
            }

            try
            {
                switch (arg)
                {
                    case "--users": options.Users = int.Parse(Next(), NumberStyles.None, CultureInfo.InvariantCulture); break;
                    case "--prefix": options.Prefix = Next(); break;
                    case "--password": options.Password = Next(); break;
                    case "--phone-prefix": options.PhonePrefix = Next(); break;
                    case "--pairs": options.Pairs = true; break;
                    case "--group": options.Group = int.Parse(Next(), NumberStyles.None, CultureInfo.InvariantCulture); break;
                    case "--tokens": options.TokensFile = Next(); break;
                    case "--shared-hash": options.SharedHash = true; break;
                    default:
                        if (!arg.Contains(':', StringComparison.Ordinal) && !arg.Contains('=', StringComparison.Ordinal))
                        {
                            throw new FormatException($"unknown option {arg}");
                        }

                        options.ConfigurationArgs.Add(arg);
                        break;
                }
            }
            catch (Exception ex) when (ex is FormatException or OverflowException)
            {
                error = ex.Message;
                return null;
            }
        }

        if (options.Users <= 0 || options.Users > 100_000_000)
        {
            error = "--users must be between 1 and 100000000";
        }
        else if (options.Group < 0 || options.Group > options.Users)
        {
            error = "--group must be between 0 and --users";
        }
        else if (options.PhonePrefix.Length != 3 || !options.PhonePrefix.All(char.IsAsciiDigit))
        {
            error = "--phone-prefix must be three digits (with 8 more digits per user it makes an 11-digit mobile number)";
        }

        return error is null ? options : null;
    }

    public string Username(int index) => Prefix + index.ToString(CultureInfo.InvariantCulture);

    public string Phone(int index) => PhonePrefix + index.ToString("D8", CultureInfo.InvariantCulture);

    public string GroupName => Prefix + "-group";
}
