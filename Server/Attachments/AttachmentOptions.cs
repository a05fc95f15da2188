namespace Chat.Server.Attachments;

/// <summary>Attachment limits and storage, bound from "Chat:Attachments" (docs/protocol.md section 11 lists the limits).</summary>
public sealed class AttachmentOptions
{
    public const string DirectoryStore = "Directory";

    public const string DatabaseStore = "Database";

    /// <summary>Largest file, in bytes (20 MiB).</summary>
    public long MaxFileBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>Bytes one user may begin uploading per UTC day (1 GiB).</summary>
    public long DailyQuotaBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Largest image, in pixels (width × height): beyond it an image is refused before it is decoded (a decompression bomb).</summary>
    public long MaxImagePixels { get; set; } = 50_000_000;

    /// <summary>Thumbnails fit in a square of this many pixels.</summary>
    public int ThumbnailSize { get; set; } = 320;

    /// <summary>An unfinished upload with no new chunk for this long is removed.</summary>
    public TimeSpan UploadLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A finished attachment that no message carries (never sent, or recalled) is removed this long after its upload began.</summary>
    public TimeSpan UnsentLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often expired uploads and unused attachments are looked for.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Where the bytes go: <c>Directory</c> (a content-addressed folder, this node's) or <c>Database</c> (the MySQL
    /// database, shared by every node of a cluster). Empty: Directory on SQLite, Database on MySQL.
    /// </summary>
    public string Store { get; set; } = "";

    /// <summary>The folder of the Directory store. Empty: <c>attachments</c> next to the SQLite file, else <c>data/attachments</c>.</summary>
    public string Directory { get; set; } = "";

    /// <summary>Images are checked, stripped and thumbnailed in temporary files here. Empty: the system's temp folder.</summary>
    public string WorkDirectory { get; set; } = "";

    /// <summary>Images processed at once (each may decode tens of megapixels).</summary>
    public int MaxConcurrentImages { get; set; } = 2;
}
