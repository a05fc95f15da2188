namespace Chat.Server.Attachments;

/// <summary>The image formats shown inline, found from a file's first bytes (never from its name or declared type).</summary>
public enum ImageKind
{
    None,
    Jpeg,
    Png,
    Gif,
    WebP,
}

public static class ImageKinds
{
    /// <summary>Enough leading bytes to tell every kind apart.</summary>
    public const int SniffLength = 12;

    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".gif", ".webp"];

    public static ImageKind Sniff(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
        {
            return ImageKind.Jpeg;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return ImageKind.Png;
        }

        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
        {
            return ImageKind.Gif;
        }

        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            return ImageKind.WebP;
        }

        return ImageKind.None;
    }

    public static string MediaType(ImageKind kind) => kind switch
    {
        ImageKind.Jpeg => "image/jpeg",
        ImageKind.Png => "image/png",
        ImageKind.Gif => "image/gif",
        ImageKind.WebP => "image/webp",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not an image"),
    };

    /// <summary>Whether the uploader says this is one of our image kinds (by media type or by the name's extension).</summary>
    public static bool ClaimsImage(string mediaType, string name) =>
        mediaType is "image/jpeg" or "image/jpg" or "image/pjpeg" or "image/png" or "image/gif" or "image/webp"
        || ImageExtensions.Contains(Path.GetExtension(name).ToLowerInvariant());
}
