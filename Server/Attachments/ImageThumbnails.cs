using SkiaSharp;

namespace Chat.Server.Attachments;

/// <summary>
/// Reads an image's size from its header (before anything is decoded, so a decompression bomb is refused at no cost)
/// and makes its thumbnail with SkiaSharp: decoded at a reduced scale where the codec can (JPEG, WebP), scaled to fit,
/// turned upright by its EXIF orientation, and encoded as JPEG (or PNG when it has transparency).
/// </summary>
public static class ImageThumbnails
{
    /// <summary>The size an image is shown at (orientation applied), from its header alone.</summary>
    /// <exception cref="InvalidImageException">Skia cannot read it.</exception>
    public static (int Width, int Height) Measure(string path)
    {
        using var codec = Open(path);
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        return Turns(codec.EncodedOrigin) ? (height, width) : (width, height);
    }

    /// <summary>Decodes the image (its first frame) and returns the thumbnail's encoded bytes, width, height and media type.</summary>
    /// <exception cref="InvalidImageException">The image does not decode.</exception>
    public static (byte[] Bytes, int Width, int Height, string MediaType) Create(string path, int maxSide)
    {
        using var codec = Open(path);
        var info = codec.Info;
        var longest = Math.Max(info.Width, info.Height);

        // Decode at the codec's nearest scale at or above twice the target, then resample: sharp and cheap.
        var scale = Math.Min(1f, 2f * maxSide / longest);
        var decodeSize = codec.GetScaledDimensions(scale);
        var opaque = info.AlphaType == SKAlphaType.Opaque;
        using var decoded = new SKBitmap(new SKImageInfo(decodeSize.Width, decodeSize.Height, SKColorType.Rgba8888, opaque ? SKAlphaType.Opaque : SKAlphaType.Premul));
        var result = codec.GetPixels(decoded.Info, decoded.GetPixels());
        if (result is SKCodecResult.InvalidScale)
        {
            using var full = new SKBitmap(new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, opaque ? SKAlphaType.Opaque : SKAlphaType.Premul));
            result = codec.GetPixels(full.Info, full.GetPixels());
            Check(result);
            return Encode(full, codec.EncodedOrigin, maxSide, opaque);
        }

        Check(result);
        return Encode(decoded, codec.EncodedOrigin, maxSide, opaque);
    }

    private static SKCodec Open(string path)
    {
        var codec = SKCodec.Create(path, out var result);
        if (codec is null || codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            codec?.Dispose();
            throw new InvalidImageException($"the image cannot be read ({result})");
        }

        return codec;
    }

    private static void Check(SKCodecResult result)
    {
        if (result != SKCodecResult.Success)
        {
            throw new InvalidImageException($"the image does not decode ({result})");
        }
    }

    private static bool Turns(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    private static (byte[] Bytes, int Width, int Height, string MediaType) Encode(SKBitmap source, SKEncodedOrigin origin, int maxSide, bool opaque)
    {
        var turns = Turns(origin);
        var (w, h) = turns ? (source.Height, source.Width) : (source.Width, source.Height);
        var fit = Math.Min(1.0, (double)maxSide / Math.Max(w, h));
        var width = Math.Max(1, (int)Math.Round(w * fit));
        var height = Math.Max(1, (int)Math.Round(h * fit));
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, opaque ? SKAlphaType.Opaque : SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.Transparent);
        var (drawWidth, drawHeight) = turns ? (height, width) : (width, height);
        canvas.SetMatrix(Orientation(origin, drawWidth, drawHeight));
        using (var image = SKImage.FromBitmap(source))
        {
            canvas.DrawImage(image, new SKRect(0, 0, drawWidth, drawHeight), new SKSamplingOptions(SKCubicResampler.Mitchell));
        }

        using var snapshot = surface.Snapshot();
        using var data = opaque ? snapshot.Encode(SKEncodedImageFormat.Jpeg, 82) : snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return (data.ToArray(), width, height, opaque ? "image/jpeg" : "image/png");
    }

    /// <summary>
    /// Maps an image of <paramref name="w"/> × <paramref name="h"/> as stored onto the upright canvas, for each EXIF
    /// orientation (x' = sx·x + kx·y + tx, y' = ky·x + sy·y + ty).
    /// </summary>
    private static SKMatrix Orientation(SKEncodedOrigin origin, float w, float h) => origin switch
    {
        SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
        SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
        SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
        SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
        SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
        _ => SKMatrix.Identity,
    };
}
