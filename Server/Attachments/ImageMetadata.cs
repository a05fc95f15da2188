using System.Buffers.Binary;

namespace Chat.Server.Attachments;

/// <summary>
/// Removes what a photo says about its taker (EXIF with GPS position, camera and time, XMP, IPTC, comments, embedded
/// previews and anything after the image's end) without touching the picture: segments and chunks are copied or
/// dropped, never re-encoded, so an image that carried nothing arrives byte for byte as sent. Kept: what decoding and
/// colour need (tables, ICC profiles, transparency, animation control) and, for JPEG, the EXIF orientation, rewritten
/// as a minimal EXIF block of that one tag (without it a phone photo would show sideways).
/// </summary>
public static class ImageMetadata
{
    /// <summary>Copies <paramref name="input"/> (seekable, at its start) to <paramref name="output"/> without metadata.</summary>
    /// <exception cref="InvalidImageException">The file is not a well-formed image of <paramref name="kind"/>.</exception>
    public static void Strip(ImageKind kind, Stream input, Stream output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var reader = new BufferedStream(input, 64 * 1024);
        var writer = new BufferedStream(output, 64 * 1024);
        try
        {
            switch (kind)
            {
                case ImageKind.Jpeg:
                    StripJpeg(reader, writer);
                    break;
                case ImageKind.Png:
                    StripPng(reader, writer);
                    break;
                case ImageKind.Gif:
                    StripGif(reader, writer);
                    break;
                case ImageKind.WebP:
                    StripWebP(input, writer);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind), kind, "not an image");
            }
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidImageException("the image ends before its structure does", ex);
        }

        writer.Flush();
    }

    // ------------------------------------------------------------------ JPEG

    private static void StripJpeg(Stream r, Stream w)
    {
        if (ReadByte(r) != 0xFF || ReadByte(r) != 0xD8)
        {
            throw new InvalidImageException("no JPEG start of image");
        }

        w.Write([0xFF, 0xD8]);
        var marker = NextMarker(r);
        while (true)
        {
            switch (marker)
            {
                case 0xD9: // end of image: whatever follows (previews, motion-photo video) is dropped
                    w.Write([0xFF, 0xD9]);
                    return;
                case >= 0xD0 and <= 0xD7:
                case 0x01:
                    w.Write([0xFF, (byte)marker]);
                    marker = NextMarker(r);
                    continue;
            }

            var length = (ReadByte(r) << 8) | ReadByte(r);
            if (length < 2)
            {
                throw new InvalidImageException("a JPEG segment is shorter than its length field");
            }

            var payload = new byte[length - 2];
            r.ReadExactly(payload);
            if (marker == 0xE1 && payload.AsSpan().StartsWith("Exif\0\0"u8))
            {
                if (ExifOrientation(payload.AsSpan(6)) is { } orientation and not 1)
                {
                    WriteSegment(w, 0xE1, MinimalExif(orientation));
                }
            }
            else if (KeepJpegSegment(marker, payload))
            {
                WriteSegment(w, marker, payload);
            }

            if (marker == 0xDA)
            {
                marker = CopyScan(r, w);
                continue;
            }

            marker = NextMarker(r);
        }
    }

    private static bool KeepJpegSegment(int marker, ReadOnlySpan<byte> payload) => marker switch
    {
        0xE0 => payload.StartsWith("JFIF\0"u8) || payload.StartsWith("JFXX\0"u8),
        0xE2 => payload.StartsWith("ICC_PROFILE\0"u8),
        0xEE => payload.StartsWith("Adobe"u8), // its transform flag decides the colour conversion
        >= 0xE1 and <= 0xEF => false, // EXIF, XMP, IPTC/Photoshop, maker notes, previews
        0xFE => false, // comments
        _ => true, // tables, frame and scan headers, restart interval
    };

    /// <summary>Copies entropy-coded data up to the next marker that is not a restart or stuffing, and returns it.</summary>
    private static int CopyScan(Stream r, Stream w)
    {
        while (true)
        {
            var b = ReadByte(r);
            if (b != 0xFF)
            {
                w.WriteByte((byte)b);
                continue;
            }

            var next = ReadByte(r);
            while (next == 0xFF)
            {
                next = ReadByte(r);
            }

            if (next == 0x00 || next is >= 0xD0 and <= 0xD7)
            {
                w.WriteByte(0xFF);
                w.WriteByte((byte)next);
                continue;
            }

            return next;
        }
    }

    private static int NextMarker(Stream r)
    {
        if (ReadByte(r) != 0xFF)
        {
            throw new InvalidImageException("JPEG data where a marker should be");
        }

        int marker;
        do
        {
            marker = ReadByte(r);
        }
        while (marker == 0xFF);
        return marker;
    }

    private static void WriteSegment(Stream w, int marker, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > 0xFFFF - 2)
        {
            throw new InvalidImageException("a JPEG segment is too long");
        }

        w.Write([0xFF, (byte)marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
        w.Write(payload);
    }

    /// <summary>The orientation tag (0x0112) of IFD0 of a TIFF block, or null when there is none or it is malformed.</summary>
    internal static int? ExifOrientation(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8)
        {
            return null;
        }

        bool little;
        if (tiff.StartsWith("II"u8))
        {
            little = true;
        }
        else if (tiff.StartsWith("MM"u8))
        {
            little = false;
        }
        else
        {
            return null;
        }

        var ifd = U32(tiff, 4, little);
        if (ifd > (uint)tiff.Length - 2)
        {
            return null;
        }

        int count = U16(tiff, (int)ifd, little);
        for (var i = 0; i < count; i++)
        {
            var entry = (int)ifd + 2 + (12 * i);
            if (entry + 12 > tiff.Length)
            {
                return null;
            }

            if (U16(tiff, entry, little) == 0x0112 && U16(tiff, entry + 2, little) == 3)
            {
                int value = U16(tiff, entry + 8, little);
                return value is >= 1 and <= 8 ? value : null;
            }
        }

        return null;
    }

    private static uint U32(ReadOnlySpan<byte> tiff, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(tiff[at..]) : BinaryPrimitives.ReadUInt32BigEndian(tiff[at..]);

    private static ushort U16(ReadOnlySpan<byte> tiff, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(tiff[at..]) : BinaryPrimitives.ReadUInt16BigEndian(tiff[at..]);

    /// <summary>An EXIF APP1 payload holding only the orientation: "Exif\0\0", a big-endian TIFF header and one IFD entry.</summary>
    internal static byte[] MinimalExif(int orientation)
    {
        var exif = new byte[6 + 8 + 2 + 12 + 4];
        "Exif\0\0"u8.CopyTo(exif);
        var tiff = exif.AsSpan(6);
        "MM"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt16BigEndian(tiff[2..], 42);
        BinaryPrimitives.WriteUInt32BigEndian(tiff[4..], 8);
        BinaryPrimitives.WriteUInt16BigEndian(tiff[8..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(tiff[10..], 0x0112);
        BinaryPrimitives.WriteUInt16BigEndian(tiff[12..], 3);
        BinaryPrimitives.WriteUInt32BigEndian(tiff[14..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(tiff[18..], (ushort)orientation);

        // The next-IFD offset (the last 4 bytes) stays 0: no further IFDs.
        return exif;
    }

    // ------------------------------------------------------------------ PNG

    private static readonly HashSet<string> PngKept =
    [
        "IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "bKGD", "pHYs", "hIST", "sPLT",
        "acTL", "fcTL", "fdAT", "cICP", "mDCV", "cLLI",
    ];

    private static void StripPng(Stream r, Stream w)
    {
        Span<byte> signature = stackalloc byte[8];
        r.ReadExactly(signature);
        w.Write(signature);
        Span<byte> head = stackalloc byte[8];
        while (true)
        {
            r.ReadExactly(head);
            var length = BinaryPrimitives.ReadUInt32BigEndian(head);
            if (length > int.MaxValue - 4)
            {
                throw new InvalidImageException("a PNG chunk is longer than any file");
            }

            var type = System.Text.Encoding.ASCII.GetString(head[4..]);
            var critical = char.IsAsciiLetterUpper(type[0]);
            if (PngKept.Contains(type) || critical)
            {
                w.Write(head);
                CopyExactly(r, w, length + 4L); // data and CRC
            }
            else
            {
                Skip(r, length + 4L); // text, EXIF, time and other ancillary chunks
            }

            if (type == "IEND")
            {
                return;
            }
        }
    }

    // ------------------------------------------------------------------ GIF

    private static void StripGif(Stream r, Stream w)
    {
        var screen = new byte[13]; // header and logical screen descriptor
        r.ReadExactly(screen);
        w.Write(screen);
        if ((screen[10] & 0x80) != 0)
        {
            CopyExactly(r, w, 3L << ((screen[10] & 7) + 1));
        }

        while (true)
        {
            var block = ReadByte(r);
            switch (block)
            {
                case 0x3B: // trailer: anything after it is dropped
                    w.WriteByte(0x3B);
                    return;
                case 0x2C: // image: descriptor, local colour table, LZW code size, data
                {
                    var descriptor = new byte[9];
                    r.ReadExactly(descriptor);
                    w.WriteByte(0x2C);
                    w.Write(descriptor);
                    if ((descriptor[8] & 0x80) != 0)
                    {
                        CopyExactly(r, w, 3L << ((descriptor[8] & 7) + 1));
                    }

                    w.WriteByte((byte)ReadByte(r));
                    CopySubBlocks(r, w);
                    break;
                }

                case 0x21:
                {
                    var label = ReadByte(r);
                    if (label is 0xF9 or 0x01)
                    {
                        // Graphic control (frame timing, transparency) and plain text are part of the picture.
                        w.WriteByte(0x21);
                        w.WriteByte((byte)label);
                        CopySubBlocks(r, w);
                    }
                    else if (label == 0xFF)
                    {
                        var size = ReadByte(r);
                        var identity = new byte[size];
                        r.ReadExactly(identity);
                        var id = System.Text.Encoding.ASCII.GetString(identity);
                        if (id is "NETSCAPE2.0" or "ANIMEXTS1.0" || id.StartsWith("ICCRGBG1", StringComparison.Ordinal))
                        {
                            // Looping and colour: kept. XMP and other applications' data: dropped.
                            w.WriteByte(0x21);
                            w.WriteByte(0xFF);
                            w.WriteByte((byte)size);
                            w.Write(identity);
                            CopySubBlocks(r, w);
                        }
                        else
                        {
                            SkipSubBlocks(r);
                        }
                    }
                    else
                    {
                        SkipSubBlocks(r); // comments and unknown extensions
                    }

                    break;
                }

                default:
                    throw new InvalidImageException($"unknown GIF block 0x{block:x2}");
            }
        }
    }

    private static void CopySubBlocks(Stream r, Stream w)
    {
        int size;
        while ((size = ReadByte(r)) != 0)
        {
            w.WriteByte((byte)size);
            CopyExactly(r, w, size);
        }

        w.WriteByte(0);
    }

    private static void SkipSubBlocks(Stream r)
    {
        int size;
        while ((size = ReadByte(r)) != 0)
        {
            Skip(r, size);
        }
    }

    // ------------------------------------------------------------------ WebP

    private static void StripWebP(Stream input, Stream w)
    {
        // Two passes over the (seekable) file: the RIFF header states the size of what follows, dropped chunks excluded.
        var header = new byte[12];
        input.ReadExactly(header);
        var riffSize = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
        var end = Math.Min(input.Length, 8L + riffSize);
        var chunks = new List<(string Type, long Offset, uint Size)>();
        var position = 12L;
        var head = new byte[8];
        while (position + 8 <= end)
        {
            input.Position = position;
            input.ReadExactly(head);
            var type = System.Text.Encoding.ASCII.GetString(head, 0, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(4));
            var padded = size + (size & 1L);
            if (position + 8 + size > end)
            {
                throw new InvalidImageException("a WebP chunk runs past the file's end");
            }

            chunks.Add((type, position, size));
            position += 8 + padded;
        }

        if (chunks.Count == 0)
        {
            throw new InvalidImageException("a WebP file without chunks");
        }

        var kept = chunks.Where(c => c.Type is not ("EXIF" or "XMP ")).ToList();
        var total = 4L + kept.Sum(c => 8L + c.Size + (c.Size & 1));
        Span<byte> riff = stackalloc byte[12];
        "RIFF"u8.CopyTo(riff);
        BinaryPrimitives.WriteUInt32LittleEndian(riff[4..], (uint)total);
        "WEBP"u8.CopyTo(riff[8..]);
        w.Write(riff);
        foreach (var (type, offset, size) in kept)
        {
            input.Position = offset;
            var length = 8L + size + (size & 1);
            if (type == "VP8X")
            {
                var chunk = new byte[length];
                input.ReadExactly(chunk, 0, (int)Math.Min(length, input.Length - offset));
                if (chunk.Length > 8)
                {
                    chunk[8] &= unchecked((byte)~(0x08 | 0x04)); // the EXIF and XMP flags
                }

                w.Write(chunk);
                continue;
            }

            CopyExactly(input, w, Math.Min(length, input.Length - offset));
            if (length > input.Length - offset)
            {
                w.WriteByte(0); // the last chunk's padding byte, missing from the file
            }
        }
    }

    // ------------------------------------------------------------------ shared

    private static int ReadByte(Stream r)
    {
        var b = r.ReadByte();
        return b >= 0 ? b : throw new EndOfStreamException();
    }

    private static void CopyExactly(Stream r, Stream w, long count)
    {
        var buffer = new byte[(int)Math.Min(count, 64 * 1024)];
        while (count > 0)
        {
            var n = (int)Math.Min(count, buffer.Length);
            r.ReadExactly(buffer, 0, n);
            w.Write(buffer, 0, n);
            count -= n;
        }
    }

    private static void Skip(Stream r, long count)
    {
        var buffer = new byte[(int)Math.Min(Math.Max(count, 1), 64 * 1024)];
        while (count > 0)
        {
            var n = (int)Math.Min(count, buffer.Length);
            r.ReadExactly(buffer, 0, n);
            count -= n;
        }
    }
}

/// <summary>A file that claims, or seems, to be an image and is not a well-formed one.</summary>
public sealed class InvalidImageException(string message, Exception? inner = null) : Exception(message, inner);
