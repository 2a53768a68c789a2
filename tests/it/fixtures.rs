//! Real image files for upload tests: textured JPEGs of a given size, a PNG, and
//! JPEGs that are broken in one precise way.

use std::sync::OnceLock;

use image::codecs::jpeg::JpegEncoder;
use image::{ImageBuffer, Rgb};

/// A busy (sharp) photo-like JPEG of `width`×`height`: a fine checkerboard with
/// grain, so its sharpness score is high.
pub fn photo(width: u32, height: u32) -> Vec<u8> {
    let img = ImageBuffer::from_fn(width, height, |x, y| {
        let grain = (x.wrapping_mul(31) ^ y.wrapping_mul(17)) % 40;
        let v = if (x / 8 + y / 8) % 2 == 0 {
            30 + grain
        } else {
            190 + grain
        } as u8;
        Rgb([v, v.saturating_sub(12), v.saturating_add(8)])
    });
    let mut out = Vec::new();
    img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 85))
        .unwrap();
    out
}

/// The usual upload: an 800×600 textured JPEG, made once.
pub fn standard() -> Vec<u8> {
    static PHOTO: OnceLock<Vec<u8>> = OnceLock::new();
    PHOTO.get_or_init(|| photo(800, 600)).clone()
}

/// The smallest accepted size, 600×500, for tests that upload many images.
pub fn small() -> Vec<u8> {
    static PHOTO: OnceLock<Vec<u8>> = OnceLock::new();
    PHOTO.get_or_init(|| photo(600, 500)).clone()
}

/// A valid 8-bit greyscale PNG (stored deflate blocks, no compression).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut raw = Vec::with_capacity(((width + 1) * height) as usize);
    for y in 0..height {
        raw.push(0); // filter: none
        raw.extend((0..width).map(|x| ((x ^ y) & 0xFF) as u8));
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend(len.to_le_bytes());
        zlib.extend((!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend(adler32(&raw).to_be_bytes());

    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]); // depth 8, greyscale, deflate, no filter, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", ihdr), (b"IDAT", zlib), (b"IEND", vec![])] {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(&data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &d in data {
        a = (a + u32::from(d)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &d in data {
        crc ^= u32::from(d);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `jpeg` with its SOF0 header claiming `width`×`height` (the scan is unchanged).
pub fn with_claimed_size(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let sof = out
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline JPEG has SOF0");
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

/// The first half of `jpeg`: the scan stops in the middle.
pub fn truncated(jpeg: &[u8]) -> Vec<u8> {
    jpeg[..jpeg.len() / 2].to_vec()
}

/// `len` bytes that start like a JPEG (FF D8 FF) and are otherwise filler.
pub fn jpeg_magic_of_len(len: usize) -> Vec<u8> {
    let mut out = vec![0x20; len];
    out[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
    out
}

/// Text placed in the EXIF block by [`with_gps_exif`].
pub const GPS_TEXT: &[u8] = b"GPS 37.8706N 112.5489E Taiyuan";

/// `jpeg` with an APP1 EXIF block (big-endian TIFF, one Orientation=1 entry)
/// followed by location text, as a phone would write it.
pub fn with_gps_exif(jpeg: &[u8]) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a".to_vec();
    tiff.extend(8u32.to_be_bytes()); // IFD0 offset
    tiff.extend(1u16.to_be_bytes()); // one entry
    tiff.extend(0x0112u16.to_be_bytes()); // Orientation
    tiff.extend(3u16.to_be_bytes()); // SHORT
    tiff.extend(1u32.to_be_bytes()); // count
    tiff.extend([0, 1, 0, 0]); // value 1, padded
    tiff.extend(0u32.to_be_bytes()); // no next IFD
    tiff.extend_from_slice(GPS_TEXT);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(tiff);

    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend([0xFF, 0xE1]);
    out.extend(((payload.len() + 2) as u16).to_be_bytes());
    out.extend(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The pixel size of a JPEG, decoding it fully.
pub fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)
        .expect("a decodable JPEG");
    (img.width(), img.height())
}
