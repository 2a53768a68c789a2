//! The photos of the load tests: JPEGs of 1, 2, 3, 4, 5 and 6 MB (decimal, so
//! the largest stays under the 6 MiB limit), each a gradient with random grain
//! so that it does not compress small, as a phone photo of a document does not.

use std::path::{Path, PathBuf};

use image::codecs::jpeg::JpegEncoder;
use image::{ImageBuffer, Rgb};

/// Sizes made, in megabytes (10^6 bytes).
pub const SIZES_MB: [u64; 6] = [1, 2, 3, 4, 5, 6];

/// The file of the photo of `mb` megabytes in `dir`.
pub fn path(dir: &Path, mb: u64) -> PathBuf {
    dir.join(format!("photo-{mb}mb.jpg"))
}

/// Reads the photos made by `images`, smallest first.
pub fn load(dir: &Path) -> anyhow::Result<Vec<bytes::Bytes>> {
    SIZES_MB
        .iter()
        .map(|&mb| {
            let p = path(dir, mb);
            std::fs::read(&p)
                .map(bytes::Bytes::from)
                .map_err(|e| anyhow::anyhow!("{}: {e} (run `load images` first)", p.display()))
        })
        .collect()
}

fn noisy(width: u32, height: u32, amplitude: u32, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let img = ImageBuffer::from_fn(width, height, |x, y| {
        let r = next();
        let base = |c: u32| (40 + (x * 150 / width) + (y * 50 / height) + c) as i64;
        let grain =
            |shift: u32| ((r >> shift) % u64::from(2 * amplitude + 1)) as i64 - amplitude as i64;
        let ch = |c: u32, shift: u32| (base(c) + grain(shift)).clamp(0, 255) as u8;
        Rgb([ch(0, 0), ch(10, 16), ch(20, 32)])
    });
    let mut out = Vec::new();
    img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
        .expect("encoding to memory cannot fail");
    out
}

/// A noisy 4:3 JPEG of at most `target` bytes and at least 94 % of it, with a
/// short side of at least 640 pixels (the grain is weakened until it fits).
fn photo(target: u64, seed: u64) -> (Vec<u8>, u32, u32) {
    let mut amplitude = 28;
    loop {
        // Bytes per pixel of this texture, from a small sample.
        let sample = noisy(400, 300, amplitude, seed);
        let mut bpp = sample.len() as f64 / 120_000.0;
        let short_side = |bpp: f64| ((target as f64 * 0.97 / bpp) * 3.0 / 4.0).sqrt();
        if short_side(bpp) < 640.0 && amplitude > 2 {
            amplitude = amplitude * 2 / 3;
            continue;
        }
        for _ in 0..6 {
            let pixels = target as f64 * 0.97 / bpp;
            let width = (pixels * 4.0 / 3.0).sqrt().round() as u32;
            let height = width * 3 / 4;
            let out = noisy(width, height, amplitude, seed);
            let len = out.len() as u64;
            if len <= target && len * 100 >= target * 94 {
                return (out, width, height);
            }
            bpp = len as f64 / f64::from(width * height);
        }
        amplitude = amplitude * 2 / 3;
    }
}

/// `images --dir DIR`: makes the photos (once: existing files are kept).
pub fn run(args: &crate::Args) -> anyhow::Result<()> {
    let dir = PathBuf::from(args.get("dir"));
    std::fs::create_dir_all(&dir)?;
    for (i, &mb) in SIZES_MB.iter().enumerate() {
        let p = path(&dir, mb);
        if p.exists() {
            continue;
        }
        let started = std::time::Instant::now();
        let (bytes, w, h) = photo(mb * 1_000_000, 0x9E37_79B9_7F4A_7C15 ^ i as u64);
        std::fs::write(&p, &bytes)?;
        println!(
            "image {}: {w}x{h}, {} bytes, made in {:.1} s",
            p.display(),
            bytes.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
