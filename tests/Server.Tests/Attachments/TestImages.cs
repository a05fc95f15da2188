using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SkiaSharp;

namespace Chat.Server.Tests.Attachments;

/// <summary>Images made for the tests: real encodings from SkiaSharp, with metadata and malformations added by hand.</summary>
internal static class TestImages
{
    /// <summary>What the planted metadata says; it must not reach a reader.</summary>
    public const string Secret = "secret-location-39.9042N-116.4074E";

    /// <summary>A gradient, so that encoders cannot shrink it to nothing.</summary>
    public static byte[] Encode(int width, int height, SKEncodedImageFormat format, int quality = 90)
    {
        using var bitmap = new SKBitmap(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 255 / width), (byte)(y * 255 / height), (byte)((x + y) % 256)));
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>
    /// A JPEG with an EXIF block (orientation 6, "rotate 90° clockwise", and a GPS IFD whose area text is <see cref="Secret"/>),
    /// an XMP block and a comment carrying the secret too, and bytes after the end of the image.
    /// </summary>
    public static byte[] JpegWithMetadata(int width, int height)
    {
        var jpeg = Encode(width, height, SKEncodedImageFormat.Jpeg);
        var output = new MemoryStream();
        output.Write(jpeg, 0, 2); // SOI
        Segment(output, 0xE1, Exif(orientation: 6));
        Segment(output, 0xE1, Encoding.ASCII.GetBytes("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSAreaInformation>" + Secret + "</exif:GPSAreaInformation></x:xmpmeta>"));
        Segment(output, 0xFE, Encoding.ASCII.GetBytes("comment " + Secret));
        output.Write(jpeg, 2, jpeg.Length - 2);
        output.Write(Encoding.ASCII.GetBytes("trailing " + Secret));
        return output.ToArray();
    }

    /// <summary>
    /// A PNG whose header claims 100,000 × 100,000 pixels (10 gigapixels) with a few hundred bytes of compressed data:
    /// decoding it would need 40 GB.
    /// </summary>
    public static byte[] PngBomb()
    {
        var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 100_000);
        header[8] = 8; // bit depth
        header[9] = 0; // greyscale
        Chunk(output, "IHDR", header);
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(new byte[1_000_000]);
        }

        Chunk(output, "IDAT", compressed.ToArray());
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>A PNG with a text chunk and an EXIF chunk carrying <see cref="Secret"/>, and bytes after IEND; also the same PNG without them.</summary>
    public static (byte[] WithMetadata, byte[] Clean) PngWithMetadata(int width, int height)
    {
        var png = Encode(width, height, SKEncodedImageFormat.Png);
        const int afterHeader = 8 + 8 + 13 + 4; // signature, IHDR
        var output = new MemoryStream();
        output.Write(png, 0, afterHeader);
        Chunk(output, "tEXt", Encoding.ASCII.GetBytes("Location\0" + Secret));
        Chunk(output, "eXIf", Exif(orientation: 1)[6..]);
        output.Write(png, afterHeader, png.Length - afterHeader);
        output.Write(Encoding.ASCII.GetBytes("trailing " + Secret));
        return (output.ToArray(), png);
    }

    /// <summary>
    /// A WebP in the extended format (VP8X) with EXIF and XMP chunks carrying <see cref="Secret"/>, around SkiaSharp's
    /// own encoding; also that encoding alone.
    /// </summary>
    public static (byte[] WithMetadata, byte[] Clean) WebPWithMetadata(int width, int height)
    {
        var webp = Encode(width, height, SKEncodedImageFormat.Webp);
        var body = new MemoryStream();
        body.Write("WEBP"u8);
        var vp8x = new byte[10];
        vp8x[0] = 0x08 | 0x04; // EXIF and XMP present
        WriteU24(vp8x.AsSpan(4), width - 1);
        WriteU24(vp8x.AsSpan(7), height - 1);
        RiffChunk(body, "VP8X", vp8x);
        body.Write(webp, 12, webp.Length - 12); // Skia's VP8 or VP8L chunk, padded
        RiffChunk(body, "EXIF", Exif(orientation: 1)[6..]);
        RiffChunk(body, "XMP ", Encoding.ASCII.GetBytes("<x:xmpmeta><exif:GPSAreaInformation>" + Secret + "</exif:GPSAreaInformation></x:xmpmeta>"));
        var output = new MemoryStream();
        output.Write("RIFF"u8);
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)body.Length);
        output.Write(size);
        body.Position = 0;
        body.CopyTo(output);
        return (output.ToArray(), webp);
    }

    /// <summary>
    /// A 1 × 1 GIF89a (a two-colour table, a graphic control extension making index 0 transparent, one LZW-coded pixel)
    /// with a comment and an XMP application extension carrying <see cref="Secret"/>, and bytes after the trailer; also
    /// the same GIF without them.
    /// </summary>
    public static (byte[] WithMetadata, byte[] Clean) GifWithMetadata()
    {
        byte[] screen = [.. "GIF89a"u8, 1, 0, 1, 0, 0x80, 0, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0];
        byte[] control = [0x21, 0xF9, 4, 1, 0, 0, 0, 0];
        byte[] image = [0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0];
        var comment = Encoding.ASCII.GetBytes("comment " + Secret);
        var xmp = Encoding.ASCII.GetBytes("<x:xmpmeta>" + Secret + "</x:xmpmeta>");
        var output = new MemoryStream();
        output.Write(screen);
        output.Write([0x21, 0xFE, (byte)comment.Length]);
        output.Write(comment);
        output.WriteByte(0);
        output.Write([0x21, 0xFF, 11, .. "XMP DataXMP"u8, (byte)xmp.Length]);
        output.Write(xmp);
        output.WriteByte(0);
        output.Write(control);
        output.Write(image);
        output.WriteByte(0x3B);
        output.Write(Encoding.ASCII.GetBytes("trailing " + Secret));
        return (output.ToArray(), [.. screen, .. control, .. image, 0x3B]);
    }

    private static void WriteU24(Span<byte> at, int value)
    {
        at[0] = (byte)value;
        at[1] = (byte)(value >> 8);
        at[2] = (byte)(value >> 16);
    }

    private static void RiffChunk(Stream output, string type, byte[] data)
    {
        output.Write(Encoding.ASCII.GetBytes(type));
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)data.Length);
        output.Write(size);
        output.Write(data);
        if ((data.Length & 1) != 0)
        {
            output.WriteByte(0);
        }
    }

    private static byte[] Exif(int orientation)
    {
        // Big-endian TIFF: IFD0 at 8 with Orientation and the GPS IFD pointer; the GPS IFD with a latitude ref and the area text.
        var tiff = new MemoryStream();
        void U16(int v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)v); tiff.Write(b); }
        void U32(long v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, (uint)v); tiff.Write(b); }
        var area = Encoding.ASCII.GetBytes("ASCII\0\0\0" + Secret);
        const int ifd0 = 8;
        const int gps = ifd0 + 2 + (2 * 12) + 4;
        const int areaAt = gps + 2 + (2 * 12) + 4;
        tiff.Write("MM"u8);
        U16(42);
        U32(ifd0);
        U16(2);
        U16(0x0112); U16(3); U32(1); U16(orientation); U16(0);
        U16(0x8825); U16(4); U32(1); U32(gps);
        U32(0);
        U16(2);
        U16(0x0001); U16(2); U32(2); tiff.Write("N\0\0\0"u8);
        U16(0x001C); U16(7); U32(area.Length); U32(areaAt);
        U32(0);
        tiff.Write(area);
        return [.. "Exif\0\0"u8, .. tiff.ToArray()];
    }

    private static void Segment(Stream output, byte marker, byte[] payload)
    {
        output.Write([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
        output.Write(payload);
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)data.Length);
        output.Write(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        output.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(length, Crc32(typed));
        output.Write(length);
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
