//! Checking one uploaded JPEG. Decoding runs at a reduced DCT scale: every byte
//! of the entropy-coded data is still parsed (a truncated or forged file fails),
//! but the pixel buffer stays small whatever the header claims.

use std::io::Cursor;

use bytes::Bytes;
use image::{ImageBuffer, Luma, Rgb, imageops};
use img_parts::jpeg::{Jpeg, markers};
use img_parts::{ImageEXIF, ImageICC};
use jpeg_decoder::{Decoder, PixelFormat};

use super::exif;

/// Limits for one kind of photo.
#[derive(Debug, Clone, Copy)]
pub struct ImageRules {
    /// Largest file in bytes.
    pub max_bytes: usize,
    /// Smallest short side in pixels.
    pub min_short: u32,
    /// Smallest long side in pixels.
    pub min_long: u32,
    /// The size limit as candidates read it, e.g. `6M`.
    pub limit_text: &'static str,
}

/// Largest image accepted at all, in pixels (a 50-megapixel camera).
const MAX_PIXELS: u64 = 50_000_000;
/// Fewest pixels one byte of a JPEG can stand for. Real photos hold about one
/// byte per 10 pixels, a plain wall one per 100 or so; a file that claims far
/// more pixels than its bytes can carry is a decompression bomb that would
/// cost seconds of CPU for nothing (found by fuzzing).
const MAX_PIXELS_PER_BYTE: u64 = 1_000;
/// Long side of the working image on which sharpness is measured.
const WORK_SIZE: u32 = 512;
/// Long side of the image searched for faces (a face in a half-length photo
/// must stay larger than the detector's 80-pixel window).
const DETAIL_SIZE: u32 = 1024;
/// Long side of thumbnails.
const THUMB_SIZE: u32 = 320;

/// Why a photo was refused; the text is shown to the candidate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("请选择要上传的照片")]
    Empty,
    #[error("图片大小不得大于{limit}")]
    TooLarge { limit: &'static str },
    #[error("文件不是JPG格式的图片，请上传jpg格式的照片")]
    NotJpeg,
    #[error("图片文件已损坏或不完整，请重新拍摄后上传")]
    Corrupt,
    #[error("图片尺寸过大（{width}×{height}），请使用正常拍摄的照片")]
    TooManyPixels { width: u32, height: u32 },
    #[error("分辨率不得小于{min_short}*{min_long}（当前为{width}*{height}）")]
    TooSmall {
        width: u32,
        height: u32,
        min_short: u32,
        min_long: u32,
    },
}

/// A photo that passed the checks, ready to store.
#[derive(Debug, Clone)]
pub struct CheckedImage {
    /// The JPEG as stored: metadata removed but for the orientation.
    pub stored: Vec<u8>,
    /// A small JPEG for lists.
    pub thumbnail: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// Variance of the Laplacian at the fixed working size (higher is sharper).
    pub sharpness: f64,
    /// The working image (long side ≤ 512), upright.
    pub work: ImageBuffer<Rgb<u8>, Vec<u8>>,
    /// A larger upright image (long side ≤ 1024) for the face search.
    pub detail: ImageBuffer<Rgb<u8>, Vec<u8>>,
}

/// Checks an uploaded file against `rules`. CPU-bound: call it off the async runtime.
pub fn check_jpeg(raw: &[u8], rules: &ImageRules) -> Result<CheckedImage, ImageError> {
    if raw.is_empty() {
        return Err(ImageError::Empty);
    }
    if raw.len() > rules.max_bytes {
        return Err(ImageError::TooLarge {
            limit: rules.limit_text,
        });
    }
    if !raw.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(ImageError::NotJpeg);
    }

    // The file is rewritten first and the rewritten bytes are decoded: what
    // passes is exactly what is stored (a file whose segments two parsers
    // would read differently cannot slip through as one thing and be stored
    // as another).
    let (stored, orientation) = strip_metadata(raw)?;
    let mut decoder = Decoder::new(Cursor::new(&stored));
    decoder.read_info().map_err(|_| ImageError::Corrupt)?;
    let info = decoder.info().ok_or(ImageError::Corrupt)?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(ImageError::TooManyPixels { width, height });
    }
    if pixels > stored.len() as u64 * MAX_PIXELS_PER_BYTE {
        return Err(ImageError::Corrupt);
    }
    let (short, long) = (width.min(height), width.max(height));
    if short < rules.min_short || long < rules.min_long {
        return Err(ImageError::TooSmall {
            width,
            height,
            min_short: rules.min_short,
            min_long: rules.min_long,
        });
    }
    // The smallest DCT scale (1/8 at most) that still covers the detail size.
    let (req_w, req_h) = scaled_request(width, height, DETAIL_SIZE);
    let (sw, sh) = decoder
        .scale(req_w, req_h)
        .map_err(|_| ImageError::Corrupt)?;
    decoder.set_max_decoding_buffer_size(64 * 1024 * 1024);
    let pixels = decoder.decode().map_err(|_| ImageError::Corrupt)?;
    let rgb = to_rgb(&pixels, u32::from(sw), u32::from(sh), info.pixel_format)
        .ok_or(ImageError::Corrupt)?;

    let detail = upright(fit(&rgb, DETAIL_SIZE), orientation);
    let work = fit(&detail, WORK_SIZE);
    let sharpness = laplacian_variance(&imageops::grayscale(&work));
    let thumbnail = encode(&fit(&work, THUMB_SIZE));
    Ok(CheckedImage {
        stored,
        thumbnail,
        width,
        height,
        sharpness,
        work,
        detail,
    })
}

fn scaled_request(width: u32, height: u32, target: u32) -> (u16, u16) {
    let long = width.max(height).max(1);
    let ratio = f64::from(target) / f64::from(long);
    let w = ((f64::from(width) * ratio).ceil() as u32).clamp(1, u32::from(u16::MAX));
    let h = ((f64::from(height) * ratio).ceil() as u32).clamp(1, u32::from(u16::MAX));
    (w as u16, h as u16)
}

fn to_rgb(
    pixels: &[u8],
    w: u32,
    h: u32,
    format: PixelFormat,
) -> Option<ImageBuffer<Rgb<u8>, Vec<u8>>> {
    let n = (w * h) as usize;
    let data: Vec<u8> = match format {
        PixelFormat::RGB24 => pixels.get(..n * 3)?.to_vec(),
        PixelFormat::L8 => pixels.get(..n)?.iter().flat_map(|&l| [l, l, l]).collect(),
        PixelFormat::L16 => pixels
            .get(..n * 2)?
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[0], c[0]])
            .collect(),
        PixelFormat::CMYK32 => pixels
            .get(..n * 4)?
            .chunks_exact(4)
            .flat_map(|c| {
                let k = 255 - u16::from(c[3]);
                let ch = |v: u8| (u16::from(255 - v) * k / 255) as u8;
                [ch(c[0]), ch(c[1]), ch(c[2])]
            })
            .collect(),
    };
    ImageBuffer::from_raw(w, h, data)
}

fn fit(img: &ImageBuffer<Rgb<u8>, Vec<u8>>, size: u32) -> ImageBuffer<Rgb<u8>, Vec<u8>> {
    let (w, h) = img.dimensions();
    if w.max(h) <= size {
        return img.clone();
    }
    let ratio = f64::from(size) / f64::from(w.max(h));
    let nw = ((f64::from(w) * ratio).round() as u32).max(1);
    let nh = ((f64::from(h) * ratio).round() as u32).max(1);
    imageops::resize(img, nw, nh, imageops::FilterType::Triangle)
}

/// Turns an image as the EXIF orientation (1‥8) says a viewer shows it.
fn upright(img: ImageBuffer<Rgb<u8>, Vec<u8>>, orientation: u16) -> ImageBuffer<Rgb<u8>, Vec<u8>> {
    match orientation {
        2 => imageops::flip_horizontal(&img),
        3 => imageops::rotate180(&img),
        4 => imageops::flip_vertical(&img),
        5 => imageops::flip_horizontal(&imageops::rotate90(&img)),
        6 => imageops::rotate90(&img),
        7 => imageops::flip_horizontal(&imageops::rotate270(&img)),
        8 => imageops::rotate270(&img),
        _ => img,
    }
}

fn encode(img: &ImageBuffer<Rgb<u8>, Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
    img.write_with_encoder(encoder)
        .expect("encoding to memory cannot fail");
    out
}

/// Variance of the 4-neighbour Laplacian: a blur-sensitive focus measure.
pub fn laplacian_variance(gray: &ImageBuffer<Luma<u8>, Vec<u8>>) -> f64 {
    let (w, h) = gray.dimensions();
    if w < 3 || h < 3 {
        return 0.0;
    }
    let px = |x: u32, y: u32| f64::from(gray.get_pixel(x, y).0[0]);
    let (mut sum, mut sq, mut n) = (0.0, 0.0, 0.0);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let l = px(x - 1, y) + px(x + 1, y) + px(x, y - 1) + px(x, y + 1) - 4.0 * px(x, y);
            sum += l;
            sq += l * l;
            n += 1.0;
        }
    }
    let mean = sum / n;
    sq / n - mean * mean
}

/// Removes every APP segment but JFIF (APP0) and Adobe (APP14, needed to read
/// CMYK), comments, ICC profiles and anything after the end-of-image marker;
/// writes back a minimal EXIF holding only the orientation, which it returns.
fn strip_metadata(raw: &[u8]) -> Result<(Vec<u8>, u16), ImageError> {
    let mut jpeg =
        Jpeg::from_bytes(Bytes::copy_from_slice(raw)).map_err(|_| ImageError::Corrupt)?;
    let orientation = exif::orientation(&jpeg);
    jpeg.set_icc_profile(None);
    jpeg.segments_mut().retain(|s| {
        let m = s.marker();
        let app = (markers::APP0..=markers::APP15).contains(&m);
        !(app && m != markers::APP0 && m != markers::APP14) && m != markers::COM
    });
    if orientation != 1 {
        jpeg.set_exif(Some(Bytes::from(exif::orientation_only(orientation))));
    }
    let mut out = jpeg.encoder().bytes().to_vec();
    if let Some(end) = end_of_image(&out) {
        out.truncate(end);
    }
    Ok((out, orientation))
}

/// The length up to and including the EOI marker that follows the first scan.
fn end_of_image(jpeg: &[u8]) -> Option<usize> {
    let sos = jpeg.windows(2).position(|w| w == [0xFF, 0xDA])?;
    let eoi = jpeg[sos..].windows(2).position(|w| w == [0xFF, 0xD9])?;
    Some(sos + eoi + 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MATERIAL;

    fn photo(w: u32, h: u32, sharp: bool) -> Vec<u8> {
        let img = ImageBuffer::from_fn(w, h, |x, y| {
            let v = if sharp {
                if (x / 8 + y / 8) % 2 == 0 { 30 } else { 220 }
            } else {
                (((x as f64 / w as f64) * 120.0) + 60.0) as u8
            };
            Rgb([v, v, v.saturating_add(10)])
        });
        encode(&img)
    }

    #[test]
    fn accepts_a_valid_photo_and_measures_it() {
        let raw = photo(800, 600, true);
        let ok = check_jpeg(&raw, &MATERIAL).unwrap();
        assert_eq!((ok.width, ok.height), (800, 600));
        assert!(ok.sharpness > 500.0, "{}", ok.sharpness);
        let mut thumb = Decoder::new(Cursor::new(&ok.thumbnail));
        thumb.read_info().unwrap();
        assert_eq!(
            (thumb.info().unwrap().width, thumb.info().unwrap().height),
            (320, 240)
        );
        assert!(ok.stored.starts_with(&[0xFF, 0xD8]));
        let blurred = check_jpeg(&photo(800, 600, false), &MATERIAL).unwrap();
        assert!(blurred.sharpness < 50.0, "{}", blurred.sharpness);
    }

    #[test]
    fn refuses_by_content_size_and_resolution() {
        let png = b"\x89PNG\r\n\x1a\n0000000000000000";
        assert_eq!(check_jpeg(png, &MATERIAL).unwrap_err(), ImageError::NotJpeg);
        assert_eq!(check_jpeg(&[], &MATERIAL).unwrap_err(), ImageError::Empty);
        let big = vec![0xFFu8; MATERIAL.max_bytes + 1];
        assert!(matches!(
            check_jpeg(&big, &MATERIAL),
            Err(ImageError::TooLarge { .. })
        ));
        let small = check_jpeg(&photo(499, 600, true), &MATERIAL).unwrap_err();
        assert_eq!(small.to_string(), "分辨率不得小于500*600（当前为499*600）");
        assert!(check_jpeg(&photo(600, 500, true), &MATERIAL).is_ok());
        assert!(
            check_jpeg(&photo(550, 550, true), &MATERIAL).is_err(),
            "long side < 600"
        );
    }

    #[test]
    fn refuses_truncated_and_forged_headers() {
        let raw = photo(800, 600, true);
        let truncated = &raw[..raw.len() / 2];
        assert_eq!(
            check_jpeg(truncated, &MATERIAL).unwrap_err(),
            ImageError::Corrupt
        );
        // A header claiming 60000×60000 is refused before any large allocation.
        let mut forged = raw.clone();
        let sof = forged.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        forged[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
        assert!(matches!(
            check_jpeg(&forged, &MATERIAL),
            Err(ImageError::TooManyPixels { .. })
        ));
    }

    /// Found by the `photo` fuzz target: a DHT segment whose length field and
    /// table counts disagree. It used to be decoded as given and stored as
    /// rewritten, and the stored file no longer decoded. Now the rewritten
    /// bytes are what is decoded: refused, or stored as it was checked.
    #[test]
    fn what_is_stored_is_what_was_checked() {
        let raw = include_bytes!("../testdata/segments-read-two-ways.jpg");
        let rules = ImageRules {
            max_bytes: 1 << 20,
            min_short: 8,
            min_long: 8,
            limit_text: "1M",
        };
        if let Ok(ok) = check_jpeg(raw, &rules) {
            let again = check_jpeg(&ok.stored, &rules).expect("the stored file passes again");
            assert_eq!(again.stored, ok.stored);
        }
    }

    /// Found by the `photo` fuzz target: 1,600 bytes claiming 1808×22828
    /// pixels took seconds to decode. Refused at the header.
    #[test]
    fn a_tiny_file_with_a_huge_header_is_refused_at_once() {
        let raw = include_bytes!("../testdata/tiny-file-huge-header.jpg");
        let rules = ImageRules {
            max_bytes: 1 << 20,
            min_short: 8,
            min_long: 8,
            limit_text: "1M",
        };
        assert_eq!(check_jpeg(raw, &rules).unwrap_err(), ImageError::Corrupt);
        // A plain grey photo, the best-compressed kind, still passes.
        let flat = ImageBuffer::from_pixel(4000, 3000, Rgb([128u8, 128, 128]));
        let flat = encode(&flat);
        assert!(check_jpeg(&flat, &MATERIAL).is_ok(), "{} bytes", flat.len());
    }

    #[test]
    fn strips_metadata_and_trailing_data_but_keeps_orientation() {
        let raw = photo(800, 600, true);
        let mut jpeg = Jpeg::from_bytes(Bytes::from(raw)).unwrap();
        let mut tiff = exif::orientation_only(6);
        tiff.extend_from_slice(b"GPS 37.87N 112.55E secret");
        jpeg.set_exif(Some(Bytes::from(tiff)));
        let mut with_meta = jpeg.encoder().bytes().to_vec();
        with_meta.extend_from_slice(b"PK\x03\x04 trailing zip <html>");

        let ok = check_jpeg(&with_meta, &MATERIAL).unwrap();

        assert!(!ok.stored.windows(3).any(|w| w == b"GPS"));
        assert!(!ok.stored.windows(2).any(|w| w == b"PK"));
        assert!(ok.stored.ends_with(&[0xFF, 0xD9]));
        let back = Jpeg::from_bytes(Bytes::from(ok.stored.clone())).unwrap();
        assert_eq!(exif::orientation(&back), 6);
        assert_eq!(
            ok.work.dimensions(),
            (384, 512),
            "turned upright for the checks"
        );
    }
}
