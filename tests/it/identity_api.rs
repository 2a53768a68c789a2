//! Identity verification through the JSON API: both registration paths to login,
//! every automated failure, the daily limit, the review queue, verification in
//! person, password recovery, and what is (not) stored.

use bytes::Bytes;
use img_parts::ImageEXIF;
use img_parts::jpeg::Jpeg;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{Backend, TestApp, id_number};
use crate::photos::{blurred, faces_of, jpeg, no_face, pair, people, portrait};

/// Photos of a case: (kind, JPEG bytes).
type Photos = Vec<(&'static str, Vec<u8>)>;

const PASSWORD: &str = "Kaoshi#2026";

/// Registers a new candidate of 小店区 and signs in; the token.
async fn new_candidate(t: &TestApp, first17: &str) -> (String, String) {
    let id = id_number(first17);
    let body = json!({
        "name": "张伟", "id_number": id, "phone": "13912345678", "email": "",
        "password": PASSWORD, "ethnicity": "汉族", "household": "城镇",
        "education": "普通高中", "occupation": "学生", "politics": "群众", "county": "140105"
    });
    let (status, res) = t.post_json("/api/v1/registrations/new", None, body).await;
    assert_eq!(status, 201, "{res}");
    (t.login(&id, PASSWORD).await, id)
}

async fn put_photo(t: &TestApp, path: &str, token: &str, bytes: Vec<u8>) -> (u16, Value) {
    let res = t
        .api()
        .put(t.url(path))
        .bearer_auth(token)
        .header("content-type", "image/jpeg")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn consent(t: &TestApp, token: &str) {
    let (status, _) = t
        .post_json("/api/v1/me/consent", Some(token), json!({"accepted": true}))
        .await;
    assert_eq!(status, 204);
}

/// Uploads photos of `kinds` and runs the checks.
async fn upload_and_verify(t: &TestApp, token: &str, photos: &[(&str, Vec<u8>)]) -> (u16, Value) {
    for (kind, bytes) in photos {
        let path = format!("/api/v1/me/identity-photos/{kind}");
        let (status, body) = put_photo(t, &path, token, bytes.clone()).await;
        assert_eq!(status, 201, "{kind}: {body}");
    }
    t.post_json("/api/v1/me/identity-verification", Some(token), json!({}))
        .await
}

/// Three photos of one person.
fn one_person(index: usize) -> Vec<Vec<u8>> {
    let person = &people()[index];
    faces_of(person)
        .iter()
        .take(3)
        .map(|f| jpeg(&portrait(f)))
        .collect()
}

fn three(photos: &[Vec<u8>]) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("portrait", photos[0].clone()),
        ("id_card", photos[1].clone()),
        ("holding_id", photos[2].clone()),
    ]
}

/// The objects in the platform's file store (a directory or an S3 bucket).
async fn stored_objects(t: &TestApp) -> usize {
    use futures::StreamExt;
    t.app.files.list(None).count().await
}

pub(crate) async fn new_candidate_passes_with_three_photos_and_reaches_everything(
    backend: Backend,
) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let (token, _) = new_candidate(&t, "14010520000101123").await;
    let photos = one_person(0);

    let (status, body) = put_photo(
        &t,
        "/api/v1/me/identity-photos/portrait",
        &token,
        photos[0].clone(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("consent_required"))
    );
    consent(&t, &token).await;
    let (status, result) = upload_and_verify(&t, &token, &three(&photos)).await;

    assert_eq!(status, 200, "{result}");
    assert_eq!(result["outcome"], "passed", "{result}");
    assert_eq!(result["identity_state"], "verified");
    let (_, me) = t.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(me["identity_state"], "verified");
    let res = t
        .api()
        .put(t.url("/api/v1/me/password"))
        .bearer_auth(&token)
        .json(&json!({"current_password": PASSWORD, "new_password": "Kaoshi#2027"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        204,
        "a verified candidate reaches every service"
    );
}

async fn enrolled_candidate_passes_with_two_photos(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let li = &demo.enrolled_without_account[0];
    let good = json!({"id_number": li.id_number, "name": li.name, "password": "Zaiji@2026"});
    let (status, _) = t
        .post_json("/api/v1/registrations/enrolled", None, good)
        .await;
    assert_eq!(status, 201);
    let token = t.login(li.ticket.as_deref().unwrap(), "Zaiji@2026").await;
    consent(&t, &token).await;
    let photos = one_person(1);

    let (status, body) = put_photo(
        &t,
        "/api/v1/me/identity-photos/portrait",
        &token,
        photos[0].clone(),
    )
    .await;
    assert_eq!(status, 422, "两照 only: {body}");
    let (status, result) = upload_and_verify(
        &t,
        &token,
        &[
            ("id_card", photos[0].clone()),
            ("holding_id", photos[1].clone()),
        ],
    )
    .await;

    assert_eq!(
        (status, &result["outcome"]),
        (200, &json!("passed")),
        "{result}"
    );
}

async fn each_automated_failure_has_its_reason(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let (token, _) = new_candidate(&t, "14010520000101123").await;
    consent(&t, &token).await;
    let (status, body) = t
        .post_json("/api/v1/me/identity-verification", Some(&token), json!({}))
        .await;
    assert_eq!(status, 422, "photos missing: {body}");
    assert_eq!(body["fields"]["portrait"], "请上传免冠彩色证件照");

    let a = faces_of(&people()[0]);
    let b = faces_of(&people()[2]);
    // (photos to upload, the reason expected)
    let cases: Vec<(Photos, &str)> = vec![
        (
            vec![("portrait", jpeg(&blurred(&portrait(&a[0]), 2.0)))],
            "免冠彩色证件照不清晰",
        ),
        (
            vec![("portrait", jpeg(&no_face()))],
            "免冠彩色证件照中未检测到人脸",
        ),
        (
            vec![("portrait", jpeg(&pair(&a[0], &b[0])))],
            "免冠彩色证件照中有2张人脸",
        ),
        (
            vec![("portrait", jpeg(&portrait(&b[0])))],
            "免冠彩色证件照与身份证人像面照片不是同一人",
        ),
    ];
    let base = one_person(0);
    for (kind, bytes) in three(&base) {
        let path = format!("/api/v1/me/identity-photos/{kind}");
        assert_eq!(put_photo(&t, &path, &token, bytes).await.0, 201);
    }
    for (photos, reason) in cases {
        let (status, result) = upload_and_verify(&t, &token, &photos).await;

        assert_eq!(status, 200, "{result}");
        assert_eq!(result["outcome"], "failed", "{reason}: {result}");
        assert_eq!(result["identity_state"], "awaiting_identity");
        let reasons: Vec<&str> = result["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert!(
            reasons.iter().any(|r| r.starts_with(reason)),
            "{reason}: {reasons:?}"
        );
    }
    let (_, status) = t.get_json("/api/v1/me/identity", Some(&token)).await;
    assert_eq!(status["attempts_left"], 1);
    assert_eq!(status["last"]["outcome"], "failed");
}

async fn five_runs_a_day_then_tomorrow(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let (token, _) = new_candidate(&t, "14010520000101123").await;
    consent(&t, &token).await;
    let blurry = jpeg(&blurred(&portrait(&faces_of(&people()[0])[0]), 3.0));
    let photos = vec![
        ("portrait", blurry.clone()),
        ("id_card", blurry.clone()),
        ("holding_id", blurry),
    ];
    for _ in 0..5 {
        let (status, result) = upload_and_verify(&t, &token, &photos).await;
        assert_eq!((status, &result["outcome"]), (200, &json!("failed")));
    }

    let res = t
        .api()
        .post(t.url("/api/v1/me/identity-verification"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let wait: i64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(wait, 14 * 3600, "until midnight China time (now 10:00)");

    t.clock.advance(chrono::Duration::hours(14));
    let token = t.login(&id_number("14010520000101123"), PASSWORD).await;
    let (status, _) = t
        .post_json("/api/v1/me/identity-verification", Some(&token), json!({}))
        .await;
    assert_eq!(status, 200, "a new day, new runs");
}

pub(crate) async fn refused_files_store_nothing_and_stored_files_carry_no_exif(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let (token, _) = new_candidate(&t, "14010520000101123").await;
    consent(&t, &token).await;
    let path = "/api/v1/me/identity-photos/portrait";
    let good = one_person(0).remove(0);

    let (status, body) = put_photo(&t, path, &token, b"\x89PNG\r\n\x1a\n0000000000".to_vec()).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["fields"]["portrait"],
        "文件不是JPG格式的图片，请上传jpg格式的照片"
    );
    let mut forged = good.clone();
    let sof = forged.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    forged[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    let (status, body) = put_photo(&t, path, &token, forged).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["fields"]["portrait"]
            .as_str()
            .unwrap()
            .contains("尺寸过大")
    );
    let (status, body) = put_photo(&t, path, &token, vec![0xFF; 2 * 1024 * 1024 + 10]).await;
    assert_eq!(status, 422);
    assert_eq!(body["fields"]["portrait"], "图片大小不得大于2M");
    assert_eq!(
        stored_objects(&t).await,
        0,
        "nothing stored for refused files"
    );

    let mut with_gps = Jpeg::from_bytes(Bytes::from(good)).unwrap();
    with_gps.set_exif(Some(Bytes::from_static(
        b"MM\0\x2a\0\0\0\x08\0\0GPS 37.87N 112.55E",
    )));
    let (status, _) = put_photo(&t, path, &token, with_gps.encoder().bytes().to_vec()).await;
    assert_eq!(status, 201);
    let res = t
        .api()
        .get(t.url(path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let stored = res.bytes().await.unwrap();
    assert!(!stored.windows(3).any(|w| w == b"GPS"));
    assert!(
        Jpeg::from_bytes(stored).unwrap().exif().is_none(),
        "no EXIF kept"
    );
    assert_eq!(stored_objects(&t).await, 2, "the photo and its thumbnail");
}

/// A platform without face models, with the demo staff.
async fn without_faces(backend: Backend) -> Option<(TestApp, zikao::service::demo::DemoAccounts)> {
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().to_path_buf();
    let t = TestApp::spawn_with(backend, move |c| c.face_models_dir = dir).await?;
    let demo = t.demo().await;
    Some((t, demo))
}

async fn staff_login(
    t: &TestApp,
    demo: &zikao::service::demo::DemoAccounts,
    username: &str,
) -> String {
    let s = demo.staff.iter().find(|s| s.username == username).unwrap();
    let (status, body) = t
        .post_json(
            "/api/v1/staff/session",
            None,
            json!({"username": s.username, "password": s.password}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

async fn registration_point_rejects_then_approves(backend: Backend) {
    let Some((t, demo)) = without_faces(backend).await else {
        return;
    };
    let (token, _) = new_candidate(&t, "14010520000101123").await;
    consent(&t, &token).await;
    let (_, result) = upload_and_verify(&t, &token, &three(&one_person(0))).await;
    assert_eq!(
        result["outcome"], "review",
        "no face model: a person decides: {result}"
    );
    assert_eq!(result["identity_state"], "under_review");
    let point = staff_login(&t, &demo, "xiaodian").await;
    let city = staff_login(&t, &demo, "taiyuan").await;

    let (status, queue) = t
        .get_json("/api/v1/staff/identity-reviews", Some(&point))
        .await;
    assert_eq!(status, 200);
    assert_eq!(queue.as_array().unwrap().len(), 1);
    let id = queue[0]["candidate_id"].as_str().unwrap().to_owned();
    assert_eq!(queue[0]["place"], "太原市小店区");
    let (status, _) = t
        .get_json("/api/v1/staff/identity-reviews", Some(&city))
        .await;
    assert_eq!(status, 403, "city offices do not review identities");
    let photo = format!("/api/v1/staff/identity-reviews/{id}/photos/id_card");
    let res = t
        .api()
        .get(t.url(&photo))
        .bearer_auth(&point)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            res.status().as_u16(),
            res.headers()["content-type"].to_str().unwrap()
        ),
        (200, "image/jpeg")
    );

    let decision = format!("/api/v1/staff/identity-reviews/{id}/decision");
    let (status, body) = t
        .post_json(&decision, Some(&point), json!({"decision": "reject"}))
        .await;
    assert_eq!(status, 422, "a rejection needs a reason: {body}");
    let reject =
        json!({"decision": "reject", "reason": "unclear", "note": "身份证反光，请避开灯光"});
    let (status, body) = t.post_json(&decision, Some(&point), reject).await;
    assert_eq!(
        (status, &body["identity_state"]),
        (200, &json!("awaiting_identity"))
    );
    let (_, status_view) = t.get_json("/api/v1/me/identity", Some(&token)).await;
    assert_eq!(status_view["last"]["outcome"], "rejected");
    assert_eq!(
        status_view["last"]["reasons"][0],
        "照片不清晰：身份证反光，请避开灯光"
    );

    let (_, result) = upload_and_verify(&t, &token, &[("id_card", one_person(0).remove(1))]).await;
    assert_eq!(result["outcome"], "review");
    let (status, body) = t
        .post_json(&decision, Some(&point), json!({"decision": "approve"}))
        .await;
    assert_eq!((status, &body["identity_state"]), (200, &json!("verified")));
    let (status, body) = t
        .post_json(&decision, Some(&point), json!({"decision": "approve"}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_decided"))
    );
    let (_, me) = t.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(me["identity_state"], "verified");
}

pub(crate) async fn photos_reach_only_the_candidate_and_staff_of_their_scope(backend: Backend) {
    let Some((t, demo)) = without_faces(backend).await else {
        return;
    };
    let (token, _) = new_candidate(&t, "14010520000101123").await;
    consent(&t, &token).await;
    upload_and_verify(&t, &token, &three(&one_person(0))).await;
    let (other, _) = new_candidate(&t, "14010520010202224").await;
    let point = staff_login(&t, &demo, "xiaodian").await;
    let (_, queue) = t
        .get_json("/api/v1/staff/identity-reviews", Some(&point))
        .await;
    let id = queue[0]["candidate_id"].as_str().unwrap().to_owned();
    let admin_input = zikao::service::NewStaff {
        username: "yingze".into(),
        display_name: "迎泽区报名点".into(),
        password: "Baoming#2026".into(),
        role: "registration_point".into(),
        city: None,
        point: Some("140106".into()),
    };
    t.app.create_staff(&admin_input, None).await.unwrap();
    let (_, body) = t
        .post_json(
            "/api/v1/staff/session",
            None,
            json!({"username": "yingze", "password": "Baoming#2026"}),
        )
        .await;
    let neighbour = body["token"].as_str().unwrap().to_owned();
    let staff_path = format!("/api/v1/staff/identity-reviews/{id}/photos/portrait");
    let get = |path: String, token: String| {
        let t = &t;
        async move {
            t.api()
                .get(t.url(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };

    assert_eq!(
        get("/api/v1/me/identity-photos/portrait".into(), token.clone()).await,
        200
    );
    assert_eq!(
        get("/api/v1/me/identity-photos/portrait".into(), other.clone()).await,
        404
    );
    assert_eq!(get(staff_path.clone(), point.clone()).await, 200);
    assert_eq!(
        get(staff_path.clone(), neighbour.clone()).await,
        404,
        "another county"
    );
    assert_eq!(
        get(staff_path.clone(), other).await,
        401,
        "a candidate is not staff"
    );
    let (_, queue) = t
        .get_json("/api/v1/staff/identity-reviews", Some(&neighbour))
        .await;
    assert_eq!(queue, json!([]), "another county's queue is empty");
}

async fn registration_point_verifies_in_person(backend: Backend) {
    let Some((t, demo)) = without_faces(backend).await else {
        return;
    };
    let (token, id) = new_candidate(&t, "14010520000101123").await;
    let point = staff_login(&t, &demo, "xiaodian").await;
    let search = "/api/v1/staff/identity-in-person/search";

    let (status, found) = t
        .post_json(search, Some(&point), json!({"id_number": id}))
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["name"], "张伟");
    assert_eq!(found["identity_state"], "awaiting_identity");
    assert!(
        !found.to_string().contains(&id),
        "the number is shown masked"
    );
    let path = format!(
        "/api/v1/staff/identity-in-person/{}",
        found["candidate_id"].as_str().unwrap()
    );
    let (status, _) = t
        .post_json(&path, Some(&point), json!({"card_checked": false}))
        .await;
    assert_eq!(status, 422);
    let (status, _) = t
        .post_json(&path, Some(&point), json!({"card_checked": true}))
        .await;
    assert_eq!(status, 204);
    let (status, _) = t
        .post_json(&path, Some(&point), json!({"card_checked": true}))
        .await;
    assert_eq!(status, 409);

    let (_, me) = t.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(me["identity_state"], "verified");
    let (_, view) = t.get_json("/api/v1/me/identity", Some(&token)).await;
    assert_eq!(view["last"]["outcome"], "in_person");
    assert_eq!(view["last"]["reasons"][0], "小店区报名点现场核验身份证原件");
}

async fn forgotten_password_is_recovered_with_two_photos(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let (token, id) = new_candidate(&t, "14010520000101123").await;
    consent(&t, &token).await;
    let photos = one_person(3);
    let (_, result) = upload_and_verify(&t, &token, &three(&photos)).await;
    assert_eq!(result["outcome"], "passed", "{result}");

    let (status, _) = t
        .post_json(
            "/api/v1/password-recovery",
            None,
            json!({"id_number": id, "name": "李四"}),
        )
        .await;
    assert_eq!(status, 401, "the name must match");
    let (status, body) = t
        .post_json(
            "/api/v1/password-recovery",
            None,
            json!({"id_number": id, "name": "张伟"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let recovery = body["token"].as_str().unwrap().to_owned();
    let (status, _) = t
        .post_json(
            "/api/v1/password-recovery/password",
            Some(&recovery),
            json!({"new_password": "Xinmima#2026"}),
        )
        .await;
    assert_eq!(status, 409, "photos first");
    let other = faces_of(&people()[4]);
    put_photo(
        &t,
        "/api/v1/password-recovery/photos/id_card",
        &recovery,
        photos[1].clone(),
    )
    .await;
    put_photo(
        &t,
        "/api/v1/password-recovery/photos/holding_id",
        &recovery,
        jpeg(&portrait(&other[0])),
    )
    .await;
    let (_, result) = t
        .post_json(
            "/api/v1/password-recovery/verification",
            Some(&recovery),
            json!({}),
        )
        .await;
    assert_eq!(result["outcome"], "failed", "another person: {result}");
    // Two consistent photos of someone else: not the face verified at registration.
    for (kind, photo) in [("id_card", &other[0]), ("holding_id", &other[1])] {
        let path = format!("/api/v1/password-recovery/photos/{kind}");
        put_photo(&t, &path, &recovery, jpeg(&portrait(photo))).await;
    }
    let (_, result) = t
        .post_json(
            "/api/v1/password-recovery/verification",
            Some(&recovery),
            json!({}),
        )
        .await;
    assert_eq!(result["outcome"], "failed", "an impostor: {result}");
    assert!(
        result["reasons"].to_string().contains("注册认证时的照片"),
        "{result}"
    );
    put_photo(
        &t,
        "/api/v1/password-recovery/photos/id_card",
        &recovery,
        photos[1].clone(),
    )
    .await;
    let (status, _) = put_photo(
        &t,
        "/api/v1/password-recovery/photos/holding_id",
        &recovery,
        photos[2].clone(),
    )
    .await;
    assert_eq!(status, 201);
    let (_, result) = t
        .post_json(
            "/api/v1/password-recovery/verification",
            Some(&recovery),
            json!({}),
        )
        .await;
    assert_eq!(result["outcome"], "passed", "{result}");
    let (status, _) = t
        .post_json(
            "/api/v1/password-recovery/password",
            Some(&recovery),
            json!({"new_password": "Xinmima#2026"}),
        )
        .await;
    assert_eq!(status, 204);

    let (status, _) = t.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(status, 401, "every old session ended");
    let (status, _) = t
        .post_json(
            "/api/v1/password-recovery/verification",
            Some(&recovery),
            json!({}),
        )
        .await;
    assert_eq!(status, 401, "the recovery ended too");
    t.login(&id, "Xinmima#2026").await;
}

async fn registration_points_are_listed_by_city(backend: Backend) {
    let Some((t, _demo)) = without_faces(backend).await else {
        return;
    };
    let (status, list) = t.get_json("/api/v1/registration-points", None).await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["city"], "太原市");
    let xiaodian = list[0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "140105")
        .unwrap();
    assert!(
        !xiaodian["phone"].as_str().unwrap().is_empty(),
        "the demo fills in contacts"
    );

    let page = t.browser().get(t.url("/points")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("0351-0000001"), "the demo phone of 小店区");
    assert!(
        html.contains("暂未公布"),
        "a point without contacts says so"
    );
}

both_backends!(
    new_candidate_passes_with_three_photos_and_reaches_everything,
    enrolled_candidate_passes_with_two_photos,
    each_automated_failure_has_its_reason,
    five_runs_a_day_then_tomorrow,
    refused_files_store_nothing_and_stored_files_carry_no_exif,
    registration_point_rejects_then_approves,
    photos_reach_only_the_candidate_and_staff_of_their_scope,
    registration_point_verifies_in_person,
    forgotten_password_is_recovered_with_two_photos,
    registration_points_are_listed_by_city,
);
