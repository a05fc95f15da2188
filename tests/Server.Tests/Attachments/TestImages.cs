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
