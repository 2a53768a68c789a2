//! Faces in a photo: how many there are, and a 128-number signature of each, by
//! dlib's HOG detector, 5-point landmarks and ResNet encoder. Nothing outside this
//! file sees a dlib type. The models are read from a directory at start; without
//! them the platform runs and sends every identity case to a person.

use std::path::Path;
use std::sync::Mutex;

use dlib_face_recognition::{
    FaceDetector, FaceDetectorTrait, FaceEncoderNetwork, FaceEncoderTrait, ImageMatrix,
    LandmarkPredictor, LandmarkPredictorTrait,
};
use image::{ImageBuffer, Rgb};

/// The landmark model file of the PyPI package `face_recognition_models`.
pub const LANDMARK_MODEL: &str = "shape_predictor_5_face_landmarks.dat";
/// The encoder model file of the same package.
pub const ENCODER_MODEL: &str = "dlib_face_recognition_resnet_model_v1.dat";

/// One face found in a photo.
#[derive(Debug, Clone)]
pub struct Face {
    /// Width of the face box in pixels of the image searched.
    pub size: u32,
    pub signature: Signature,
}

/// The 128 numbers describing a face; two faces of one person lie close together.
#[derive(Clone)]
pub struct Signature(Vec<f64>);

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signature(..)")
    }
}

impl Signature {
    /// Euclidean distance to another signature (0 is identical).
    pub fn distance(&self, other: &Signature) -> f64 {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt()
    }
}

/// The loaded models. dlib's networks may not be shared between threads, so each
/// search takes a set of its own; sets are loaded on demand and kept for reuse
/// (as many as searches ever ran at once, which the photo permits bound by the
/// cores).
pub struct FaceEngine {
    landmarks: std::path::PathBuf,
    encoder: std::path::PathBuf,
    idle: Mutex<Vec<Models>>,
}

struct Models {
    detector: FaceDetector,
    landmarks: LandmarkPredictor,
    encoder: FaceEncoderNetwork,
}

impl FaceEngine {
    /// Loads the models of `dir` once, so that a missing or damaged file is
    /// reported at start rather than at the first candidate.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let engine = Self {
            landmarks: dir.join(LANDMARK_MODEL),
            encoder: dir.join(ENCODER_MODEL),
            idle: Mutex::new(Vec::new()),
        };
        let first = engine.open()?;
        engine.give_back(first);
        Ok(engine)
    }

    fn open(&self) -> Result<Models, String> {
        for path in [&self.landmarks, &self.encoder] {
            if !path.is_file() {
                return Err(format!("{} is missing", path.display()));
            }
        }
        Ok(Models {
            detector: FaceDetector::new(),
            landmarks: LandmarkPredictor::open(&self.landmarks)?,
            encoder: FaceEncoderNetwork::open(&self.encoder)?,
        })
    }

    fn give_back(&self, models: Models) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(models);
        }
    }

    /// Every face of an upright RGB image, largest first. CPU-bound (about a
    /// tenth of a second a face): call it off the async runtime.
    pub fn faces(&self, image: &ImageBuffer<Rgb<u8>, Vec<u8>>) -> Result<Vec<Face>, String> {
        let taken = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let models = match taken {
            Some(m) => m,
            None => self.open()?,
        };
        let (w, h) = image.dimensions();
        // SAFETY: an `ImageBuffer<Rgb<u8>, Vec<u8>>` holds exactly w × h × 3 bytes,
        // which is what the constructor reads.
        let matrix = unsafe { ImageMatrix::new(w as usize, h as usize, image.as_raw().as_ptr()) };
        let boxes = models.detector.face_locations(&matrix);
        let marks: Vec<_> = boxes
            .iter()
            .map(|b| models.landmarks.face_landmarks(&matrix, b))
            .collect();
        let encodings = models.encoder.get_face_encodings(&matrix, &marks, 0);
        let mut faces: Vec<Face> = boxes
            .iter()
            .zip(encodings.iter())
            .map(|(b, e)| Face {
                size: u32::try_from(b.right - b.left).unwrap_or(0),
                signature: Signature(e.as_ref().to_vec()),
            })
            .collect();
        self.give_back(models);
        faces.sort_by_key(|f| std::cmp::Reverse(f.size));
        Ok(faces)
    }
}
