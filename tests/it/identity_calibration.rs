//! Calibration of the clarity and face-distance thresholds on the dlib example
//! faces; prints the figures recorded in the README ("Identity checks").
//! Run alone: `cargo test --test it calibration -- --nocapture`.

use zikao::config::DEFAULT_FACE_MODELS_DIR;
use zikao::domain::{CLARITY_MIN, DIFFERENT_PERSON_MIN, SAME_PERSON_MAX};
use zikao::media::{FaceEngine, IDENTITY_PHOTO, Signature, check_jpeg};

use crate::photos::{blurred, faces_of, jpeg, people, portrait};

fn range(v: &[f64]) -> (f64, f64) {
    let lo = v.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

#[test]
fn calibration() {
    let engine = FaceEngine::load(std::path::Path::new(DEFAULT_FACE_MODELS_DIR))
        .expect("face models installed (scripts/setup)");
    let (mut sharp, mut soft) = (vec![], vec![]);
    let mut signatures: Vec<(usize, Signature)> = vec![];
    let mut undetected = 0;
    for (who, person) in people().iter().enumerate() {
        for face in faces_of(person) {
            let photo = portrait(&face);
            let ok = check_jpeg(&jpeg(&photo), &IDENTITY_PHOTO).unwrap();
            sharp.push(ok.sharpness);
            let found = engine.faces(&ok.detail).unwrap();
            match found.first() {
                Some(f) if found.len() == 1 => signatures.push((who, f.signature.clone())),
                _ => undetected += 1,
            }
            let blur = check_jpeg(&jpeg(&blurred(&photo, 2.0)), &IDENTITY_PHOTO).unwrap();
            soft.push(blur.sharpness);
        }
    }
    let (mut same, mut different) = (vec![], vec![]);
    for (i, (a, sa)) in signatures.iter().enumerate() {
        for (b, sb) in &signatures[i + 1..] {
            let d = sa.distance(sb);
            if a == b {
                same.push(d)
            } else {
                different.push(d)
            }
        }
    }
    let (sharp_lo, sharp_hi) = range(&sharp);
    let (soft_lo, soft_hi) = range(&soft);
    let (same_lo, same_hi) = range(&same);
    let (diff_lo, diff_hi) = range(&different);
    let same_passing = same.iter().filter(|&&d| d <= SAME_PERSON_MAX).count();
    println!(
        "photos: {} ({} without exactly one face found)",
        sharp.len(),
        undetected
    );
    println!("sharpness, sharp photos: {sharp_lo:.0}–{sharp_hi:.0}");
    println!("sharpness, Gaussian blur σ=2: {soft_lo:.0}–{soft_hi:.0}");
    println!(
        "same person: {} pairs, distance {same_lo:.2}–{same_hi:.2}",
        same.len()
    );
    println!(
        "different people: {} pairs, distance {diff_lo:.2}–{diff_hi:.2}",
        different.len()
    );
    println!(
        "thresholds: clarity {CLARITY_MIN}, same ≤ {SAME_PERSON_MAX}, different ≥ {DIFFERENT_PERSON_MIN}; \
         same-person pairs passing: {same_passing}/{}",
        same.len()
    );

    assert!(
        sharp_lo >= CLARITY_MIN && soft_hi < CLARITY_MIN,
        "clarity threshold separates"
    );
    assert_eq!(undetected, 0, "every example face is found");
    assert!(diff_lo > SAME_PERSON_MAX, "no two people pass as one");
    assert!(
        same_passing * 10 >= same.len() * 9,
        "at least 90% of one person's pairs pass"
    );
}
