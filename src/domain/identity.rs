//! Identity verification rules (DESIGN §2): which photos a candidate sends, the
//! calibrated thresholds of the automated checks, and the verdict they lead to.

use super::account::{CandidateKind, word_enum};

word_enum!(
    /// One of the photos of 三照/两照.
    PhotoKind {
        Portrait = "portrait" / "免冠彩色证件照",
        IdCard = "id_card" / "身份证人像面照片",
        HoldingId = "holding_id" / "手持身份证半身照",
    }
);

word_enum!(
    /// Why a registration point turns a case down (the candidate sees it).
    RejectReason {
        Unclear = "unclear" / "照片不清晰",
        NotSamePerson = "not_same_person" / "照片不是同一人",
        CardUnreadable = "card_unreadable" / "身份证信息无法辨认",
        NotGenuine = "not_genuine" / "照片非本人实拍或经过处理",
        Other = "other" / "其他",
    }
);

/// The photos of a candidate: 三照 for new candidates, 两照 for enrolled ones.
pub fn photos_for(kind: CandidateKind) -> &'static [PhotoKind] {
    match kind {
        CandidateKind::New => PhotoKind::ALL,
        CandidateKind::Enrolled => RECOVERY_PHOTOS,
    }
}

/// The photos a forgotten password is recovered with (两照).
pub const RECOVERY_PHOTOS: &[PhotoKind] = &[PhotoKind::IdCard, PhotoKind::HoldingId];

/// Automated verification runs a candidate may make in one day (China time).
pub const ATTEMPTS_PER_DAY: usize = 5;

/// Lowest sharpness (variance of the Laplacian at 512 px) of a clear photo.
/// Calibrated on the dlib example faces: sharp photos 31–223, the same after a
/// Gaussian blur of σ = 2 at most 7 (README, "Identity checks").
pub const CLARITY_MIN: f64 = 25.0;

/// Largest face distance of one person decided without a person looking.
/// Calibrated: one person 0.00–0.55, different people 0.66–1.11.
pub const SAME_PERSON_MAX: f64 = 0.55;

/// Smallest face distance of two different people, decided without a person
/// looking; between the two thresholds the registration point decides.
pub const DIFFERENT_PERSON_MIN: f64 = 0.65;

/// In 手持身份证半身照 the card's own portrait is a second, smaller face: faces
/// under this share of the largest face's width are taken for it.
pub const CARD_PORTRAIT_SHARE: f64 = 0.5;

/// What the automated checks measured in one photo.
#[derive(Debug, Clone)]
pub struct PhotoMeasure {
    pub kind: PhotoKind,
    pub sharpness: f64,
    /// Widths of the faces found, largest first; `None` without a face model.
    pub faces: Option<Vec<u32>>,
}

/// The result of one verification run.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Passed,
    /// Reasons the candidate can act on; they may try again.
    Failed(Vec<String>),
    /// Cannot be decided by the machine: the registration point looks.
    Review(Vec<String>),
}

/// The number of people's faces in a photo, the card portrait of 手持身份证照 aside.
pub fn people_in(kind: PhotoKind, faces: &[u32]) -> usize {
    let Some(&largest) = faces.first() else {
        return 0;
    };
    if kind != PhotoKind::HoldingId {
        return faces.len();
    }
    faces
        .iter()
        .filter(|&&w| f64::from(w) >= f64::from(largest) * CARD_PORTRAIT_SHARE)
        .count()
}

/// Decides a run from the measures of each photo and the face distances between
/// pairs of photos (`None` without a face model).
pub fn decide(
    photos: &[PhotoMeasure],
    distances: Option<&[(PhotoKind, PhotoKind, f64)]>,
) -> Verdict {
    let mut failures = Vec::new();
    for p in photos {
        let label = p.kind.label();
        if p.sharpness < CLARITY_MIN {
            failures.push(format!("{label}不清晰，请在光线充足处对焦后重新拍摄"));
        }
        match p.faces.as_deref().map(|f| people_in(p.kind, f)) {
            Some(0) => failures.push(format!(
                "{label}中未检测到人脸，请正对镜头、露出完整面部后重新拍摄"
            )),
            Some(n) if n > 1 => {
                failures.push(format!("{label}中有{n}张人脸，请确保照片中只有考生本人"))
            }
            _ => {}
        }
    }
    if !failures.is_empty() {
        return Verdict::Failed(failures);
    }
    let Some(distances) = distances else {
        return Verdict::Review(vec![
            "本平台暂未启用人脸自动比对，照片已转报名点人工审核".into(),
        ]);
    };
    let mut unsure = Vec::new();
    for &(a, b, d) in distances {
        if d >= DIFFERENT_PERSON_MIN {
            failures.push(format!(
                "{}与{}不是同一人，请上传考生本人的照片",
                a.label(),
                b.label()
            ));
        } else if d > SAME_PERSON_MAX {
            unsure.push(format!(
                "{}与{}的人像无法自动确认是同一人（距离{d:.2}），已转报名点人工审核",
                a.label(),
                b.label()
            ));
        }
    }
    if !failures.is_empty() {
        Verdict::Failed(failures)
    } else if !unsure.is_empty() {
        Verdict::Review(unsure)
    } else {
        Verdict::Passed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(kind: PhotoKind, sharpness: f64, faces: &[u32]) -> PhotoMeasure {
        PhotoMeasure {
            kind,
            sharpness,
            faces: Some(faces.to_vec()),
        }
    }

    #[test]
    fn clear_single_faces_of_one_person_pass() {
        let photos = [
            measure(PhotoKind::IdCard, 400.0, &[120]),
            measure(PhotoKind::HoldingId, 300.0, &[200, 60]),
        ];
        let d = [(PhotoKind::IdCard, PhotoKind::HoldingId, 0.40)];
        assert_eq!(decide(&photos, Some(&d)), Verdict::Passed);
    }

    #[test]
    fn each_failure_has_its_reason() {
        let photos = [
            measure(PhotoKind::Portrait, 10.0, &[150]),
            measure(PhotoKind::IdCard, 400.0, &[]),
            measure(PhotoKind::HoldingId, 300.0, &[200, 180]),
        ];
        let Verdict::Failed(r) = decide(&photos, Some(&[])) else {
            panic!("must fail")
        };
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(r[0].starts_with("免冠彩色证件照不清晰"));
        assert!(r[1].contains("未检测到人脸"));
        assert!(r[2].contains("有2张人脸"));
    }

    #[test]
    fn distances_pass_review_or_fail() {
        let photos = [measure(PhotoKind::IdCard, 400.0, &[120])];
        let pair = |d| [(PhotoKind::IdCard, PhotoKind::HoldingId, d)];
        assert!(matches!(
            decide(&photos, Some(&pair(0.60))),
            Verdict::Review(_)
        ));
        assert!(matches!(
            decide(&photos, Some(&pair(0.80))),
            Verdict::Failed(_)
        ));
        let no_model = [PhotoMeasure {
            faces: None,
            ..measure(PhotoKind::IdCard, 400.0, &[])
        }];
        assert!(matches!(decide(&no_model, None), Verdict::Review(_)));
    }

    #[test]
    fn a_second_face_counts_except_the_card_portrait() {
        assert_eq!(people_in(PhotoKind::HoldingId, &[200, 80]), 1);
        assert_eq!(people_in(PhotoKind::HoldingId, &[200, 150]), 2);
        assert_eq!(people_in(PhotoKind::Portrait, &[200, 80]), 2);
        assert_eq!(people_in(PhotoKind::IdCard, &[]), 0);
    }
}
