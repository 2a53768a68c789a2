//! Test photos made from the example faces Debian's libdlib19.1 ships (150-pixel
//! face crops of five people): each is enlarged and set on a plain background
//! like an ID photo, so it meets the 300×400 minimum.

use image::{ImageBuffer, Rgb, RgbImage, imageops};

/// Where the example faces are installed.
pub const JOHNS: &str = "/usr/share/doc/libdlib19.1/examples/johns";

/// The people of the example set.
pub fn people() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(JOHNS)
        .expect("libdlib19.1 is installed (scripts/setup)")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The face crops of one person, in file order.
pub fn faces_of(person: &str) -> Vec<RgbImage> {
    let mut files: Vec<_> = std::fs::read_dir(format!("{JOHNS}/{person}"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| image::open(p).unwrap().to_rgb8())
        .collect()
}

/// A 420×560 photo with the face crop enlarged to 300 pixels.
pub fn portrait(face: &RgbImage) -> RgbImage {
    let big = imageops::resize(face, 300, 300, imageops::FilterType::Lanczos3);
    let mut canvas: RgbImage = ImageBuffer::from_pixel(420, 560, Rgb([236, 240, 246]));
    imageops::overlay(&mut canvas, &big, 60, 90);
    canvas
}

/// Two faces side by side (two people in one photo).
pub fn pair(a: &RgbImage, b: &RgbImage) -> RgbImage {
    let mut canvas: RgbImage = ImageBuffer::from_pixel(640, 480, Rgb([236, 240, 246]));
    let a = imageops::resize(a, 280, 280, imageops::FilterType::Lanczos3);
    let b = imageops::resize(b, 280, 280, imageops::FilterType::Lanczos3);
    imageops::overlay(&mut canvas, &a, 20, 100);
    imageops::overlay(&mut canvas, &b, 340, 100);
    canvas
}

/// The photo blurred as an out-of-focus camera would.
pub fn blurred(img: &RgbImage, sigma: f32) -> RgbImage {
    imageops::blur(img, sigma)
}

/// A plain photo without any face.
pub fn no_face() -> RgbImage {
    ImageBuffer::from_fn(420, 560, |x, y| {
        let v = if (x / 12 + y / 12) % 2 == 0 { 40 } else { 210 };
        Rgb([v, v, 255 - v])
    })
}

/// JPEG bytes of an image.
pub fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92);
    img.write_with_encoder(enc).unwrap();
    out
}
