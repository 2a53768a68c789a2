//! 省际转出 through the JSON API, end to end: the candidate's form, materials,
//! submission and confirmation; the city office's review; rejections, returns
//! and the one more try; the window's close; scopes; and the photo rules.

use chrono::Duration;
use serde_json::{Value, json};
use zikao::service::demo::{DemoAccounts, DemoCandidate};

use crate::both_backends;
use crate::fixtures;
use crate::harness::{Backend, TestApp};

const MATERIALS: [&str; 4] = [
    "id_card",
    "passed_courses",
    "target_ticket",
    "target_transcript",
];
const CONFIRMATION_PHOTOS: [&str; 2] = ["signed_form", "holding_form"];

fn form() -> Value {
    json!({"target_province": "41", "reason": "work_relocation", "target_ticket": "410119000001"})
}

fn specialty() -> Value {
    json!({"name": "会计学", "code": "120203K", "level": "本科"})
}

async fn send(req: reqwest::RequestBuilder, token: &str) -> (u16, Value) {
    let res = req.bearer_auth(token).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn put_jpeg(t: &TestApp, token: &str, path: &str, bytes: Vec<u8>) -> (u16, Value) {
    let req = t
        .api()
        .put(t.url(path))
        .header("content-type", "image/jpeg")
        .body(bytes);
    send(req, token).await
}

async fn put_json(t: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    send(t.api().put(t.url(path)).json(&body), token).await
}

async fn delete(t: &TestApp, token: &str, path: &str) -> (u16, Value) {
    send(t.api().delete(t.url(path)), token).await
}

/// GETs raw bytes: status, content type and body.
pub(crate) async fn get_bytes(t: &TestApp, token: &str, path: &str) -> (u16, String, Vec<u8>) {
    let res = t
        .api()
        .get(t.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, res.bytes().await.unwrap().to_vec())
}

/// A candidate's API token (sessions end after 30 idle minutes: log in again
/// after moving the clock).
pub(crate) async fn candidate(t: &TestApp, c: &DemoCandidate) -> String {
    t.login(c.ticket.as_deref().unwrap(), c.password.as_deref().unwrap())
        .await
}

fn totp_code(secret: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let t =
        totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap();
    t.generate(at.timestamp() as u64)
}

/// A staff member's API token; the province admin adds the current TOTP code.
async fn staff(t: &TestApp, demo: &DemoAccounts, username: &str) -> String {
    let s = demo.staff.iter().find(|s| s.username == username).unwrap();
    let mut body = json!({"username": s.username, "password": s.password});
    if let Some(secret) = &s.totp_secret {
        body["totp"] = json!(totp_code(secret, zikao::clock::Clock::now(&*t.clock)));
    }
    let (status, res) = t.post_json("/api/v1/staff/session", None, body).await;
    assert_eq!(status, 200, "staff login of {username}: {res}");
    res["token"].as_str().unwrap().to_owned()
}

/// A new draft with the standard form.
pub(crate) async fn new_draft(t: &TestApp, token: &str) -> String {
    let (status, body) = t
        .post_json("/api/v1/transfer-outs", Some(token), form())
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// One image of each material kind.
pub(crate) async fn add_materials(t: &TestApp, token: &str, id: &str) {
    for kind in MATERIALS {
        let path = format!("/api/v1/transfer-outs/{id}/materials/{kind}");
        let (status, body) = put_jpeg(t, token, &path, fixtures::standard()).await;
        assert_eq!(status, 201, "{kind}: {body}");
    }
}

pub(crate) async fn submit(t: &TestApp, token: &str, id: &str) -> (u16, Value) {
    t.post_json(
        &format!("/api/v1/transfer-outs/{id}/submit"),
        Some(token),
        json!({}),
    )
    .await
}

async fn confirm(t: &TestApp, token: &str, id: &str) -> (u16, Value) {
    t.post_json(
        &format!("/api/v1/transfer-outs/{id}/confirm"),
        Some(token),
        json!({}),
    )
    .await
}

async fn confirmation_photo(t: &TestApp, token: &str, id: &str, kind: &str) -> (u16, Value) {
    let path = format!("/api/v1/transfer-outs/{id}/confirmation-photos/{kind}");
    put_jpeg(t, token, &path, fixtures::standard()).await
}

/// Target specialty, both confirmation photos, then 确认并提交 (must succeed).
async fn confirm_with_photos(t: &TestApp, token: &str, id: &str) {
    let path = format!("/api/v1/transfer-outs/{id}/target-specialty");
    let (status, body) = put_json(t, token, &path, specialty()).await;
    assert_eq!(status, 200, "{body}");
    for kind in CONFIRMATION_PHOTOS {
        let (status, body) = confirmation_photo(t, token, id, kind).await;
        assert_eq!(status, 201, "{kind}: {body}");
    }
    let (status, body) = confirm(t, token, id).await;
    assert_eq!(
        (status, body["state"].as_str()),
        (200, Some("pending_review")),
        "{body}"
    );
}

/// Draft → materials → submit → confirmation: an application pending review.
async fn pending_application(t: &TestApp, token: &str) -> String {
    let id = new_draft(t, token).await;
    add_materials(t, token, &id).await;
    let (status, body) = submit(t, token, &id).await;
    assert_eq!(status, 200, "{body}");
    confirm_with_photos(t, token, &id).await;
    id
}

async fn decide(t: &TestApp, staff_token: &str, id: &str, decision: Value) -> (u16, Value) {
    t.post_json(
        &format!("/api/v1/staff/transfer-outs/{id}/decision"),
        Some(staff_token),
        decision,
    )
    .await
}

/// The application as its candidate sees it (must be 200).
async fn show(t: &TestApp, token: &str, id: &str) -> Value {
    let (status, body) = t
        .get_json(&format!("/api/v1/transfer-outs/{id}"), Some(token))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

pub(crate) async fn notices(t: &TestApp, token: &str) -> Vec<String> {
    let (status, body) = t.get_json("/api/v1/me/notices", Some(token)).await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap().to_owned())
        .collect()
}

/// The state as stored, whatever reading would make of it.
pub(crate) async fn stored_state(t: &TestApp, id: &str) -> String {
    t.app.db.transfer(id).await.unwrap().unwrap().state
}

/// The objects in the platform's file store (a directory or an S3 bucket).
pub(crate) async fn stored_objects(t: &TestApp) -> usize {
    use futures::StreamExt;
    t.app.files.list(None).count().await
}

pub(crate) async fn happy_path_from_draft_to_approval(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;

    let (status, e) = t
        .get_json("/api/v1/transfer-outs/eligibility", Some(&token))
        .await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["allowed"], true);
    let movable: Vec<&str> = e["movable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(movable.len(), 9, "{e}");
    assert!(movable.contains(&"03708") && movable.contains(&"00160"));
    let first = e["movable"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "03708")
        .unwrap();
    assert_eq!(first["passed"], "2020年04月");
    assert_eq!(e["unmovable"], json!([]));

    let (status, draft) = t
        .post_json("/api/v1/transfer-outs", Some(&token), form())
        .await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!(draft["state"], "draft");
    assert_eq!(draft["target_province_name"], "河南");
    assert_eq!(draft["reason_name"], "工作调动");
    assert_eq!(draft["city"], "太原市");
    assert_eq!(draft["ticket"], "140119100001");
    let id = draft["id"].as_str().unwrap().to_owned();

    for kind in MATERIALS {
        let path = format!("/api/v1/transfer-outs/{id}/materials/{kind}");
        let (status, image) = put_jpeg(&t, &token, &path, fixtures::standard()).await;
        assert_eq!(status, 201, "{image}");
        assert_eq!(image["kind"], kind);
    }
    let (status, submitted) = submit(&t, &token, &id).await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(submitted["state"], "awaiting_confirmation");
    assert!(submitted["submitted_at"].is_string());
    assert_eq!(submitted["materials"].as_array().unwrap().len(), 4);

    let (status, body) = put_json(
        &t,
        &token,
        &format!("/api/v1/transfer-outs/{id}/target-specialty"),
        specialty(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["target_specialty"]["level"], "本科");
    for kind in CONFIRMATION_PHOTOS {
        let (status, body) = confirmation_photo(&t, &token, &id, kind).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, confirmed) = confirm(&t, &token, &id).await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(confirmed["state"], "pending_review");

    let city = staff(&t, &demo, "taiyuan").await;
    let (status, queue) = t
        .get_json(
            "/api/v1/staff/transfer-outs?state=pending_review",
            Some(&city),
        )
        .await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue["state"], "pending_review");
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    assert_eq!(queue["items"][0]["id"], id.as_str());
    assert_eq!(queue["counts"]["pending_review"], 1);
    let file_id = confirmed["materials"][0]["file_id"].as_str().unwrap();
    let (status, kind, bytes) = get_bytes(
        &t,
        &city,
        &format!("/api/v1/staff/transfer-outs/{id}/files/{file_id}"),
    )
    .await;
    assert_eq!((status, kind.as_str()), (200, "image/jpeg"));
    assert_eq!(fixtures::jpeg_size(&bytes), (800, 600));

    let (status, decided) = decide(&t, &city, &id, json!({"decision": "approve"})).await;

    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["state"], "approved");
    let seen = show(&t, &token, &id).await;
    assert_eq!(seen["state"], "approved");
    assert_eq!(seen["state_label"], "初审通过");
    assert_eq!(seen["review"]["decision"], "approve");
    assert_eq!(seen["review"]["label"], "初审通过");
    let texts = notices(&t, &token).await;
    assert_eq!(texts.len(), 3, "{texts:?}");
    for label in ["待线上确认", "待审核", "初审通过"] {
        assert!(
            texts.iter().any(|n| n.contains(label)),
            "no notice of {label}: {texts:?}"
        );
    }
    let (_, queue) = t.get_json("/api/v1/staff/transfer-outs", Some(&city)).await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 0);
    assert_eq!(queue["counts"]["approved"], 1);
}

async fn invalid_forms_name_their_fields(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;

    let bad = json!({"target_province": "14", "reason": "moving_to_mars", "target_ticket": "41011900000"});
    let (status, body) = t
        .post_json("/api/v1/transfer-outs", Some(&token), bad)
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "invalid_fields");
    assert_eq!(
        body["fields"]["target_province"],
        "请选择转入省份（不能是本省）"
    );
    assert_eq!(body["fields"]["reason"], "请选择转出原因");
    assert_eq!(body["fields"]["target_ticket"], "准考证号应为12位数字");
    let own = json!({"target_province": "41", "reason": "work_relocation", "target_ticket": "140119100001"});
    let (status, body) = t
        .post_json("/api/v1/transfer-outs", Some(&token), own)
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["fields"]["target_ticket"]
            .as_str()
            .unwrap()
            .contains("不能是本省的准考证号"),
        "{body}"
    );
    assert_eq!(body["fields"].as_object().unwrap().len(), 1);
    let (_, list) = t.get_json("/api/v1/transfer-outs", Some(&token)).await;
    assert_eq!(list, json!([]), "nothing was created");

    let id = new_draft(&t, &token).await;
    for kind in &MATERIALS[..3] {
        let path = format!("/api/v1/transfer-outs/{id}/materials/{kind}");
        assert_eq!(
            put_jpeg(&t, &token, &path, fixtures::standard()).await.0,
            201
        );
    }
    let (status, body) = submit(&t, &token, &id).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["fields"],
        json!({"target_transcript": "请上传转入地成绩单照片"})
    );
    assert_eq!(show(&t, &token, &id).await["state"], "draft");

    let path = format!("/api/v1/transfer-outs/{id}/materials/target_transcript");
    assert_eq!(
        put_jpeg(&t, &token, &path, fixtures::standard()).await.0,
        201
    );
    assert_eq!(submit(&t, &token, &id).await.0, 200);
    let (status, body) = confirm(&t, &token, &id).await;
    assert_eq!(status, 422, "{body}");
    let fields = body["fields"].as_object().unwrap();
    assert!(fields.contains_key("target_specialty"), "{body}");
    assert_eq!(fields["signed_form"], "请上传已签字登记表照片");
    assert_eq!(fields["holding_form"], "请上传本人手持登记表照片");

    let path = format!("/api/v1/transfer-outs/{id}/target-specialty");
    let (status, body) = put_json(
        &t,
        &token,
        &path,
        json!({"name": "会计学", "code": "120203K", "level": "硕士"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["fields"]["level"].is_string(), "{body}");
    assert_eq!(put_json(&t, &token, &path, specialty()).await.0, 200);
    assert_eq!(
        confirmation_photo(&t, &token, &id, "signed_form").await.0,
        201
    );
    let (status, body) = confirm(&t, &token, &id).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["fields"],
        json!({"holding_form": "请上传本人手持登记表照片"})
    );
    assert_eq!(
        show(&t, &token, &id).await["state"],
        "awaiting_confirmation"
    );
}

async fn a_rejected_application_gets_exactly_one_more_try(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let city = staff(&t, &demo, "taiyuan").await;
    let first = pending_application(&t, &token).await;

    for decision in ["reject_application", "reject_confirmation"] {
        let (status, body) = decide(
            &t,
            &city,
            &first,
            json!({"decision": decision, "reason": "  "}),
        )
        .await;
        assert_eq!(status, 422, "{decision} without a reason: {body}");
        assert!(body["fields"]["reason"].is_string());
    }
    let (status, _) = decide(
        &t,
        &city,
        &first,
        json!({"decision": "return_for_correction"}),
    )
    .await;
    assert_eq!(status, 422, "a return needs a reason too");
    assert_eq!(show(&t, &token, &first).await["state"], "pending_review");

    let (status, body) = decide(
        &t,
        &city,
        &first,
        json!({"decision": "reject_application", "reason": "转入地准考证号与照片不一致"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let seen = show(&t, &token, &first).await;
    assert_eq!(seen["state"], "application_rejected");
    assert_eq!(seen["review"]["reason"], "转入地准考证号与照片不一致");
    assert_eq!(seen["tries_left"], true);

    let second = pending_application(&t, &token).await;
    assert_ne!(second, first);
    let (status, _) = decide(
        &t,
        &city,
        &second,
        json!({"decision": "reject_application", "reason": "材料仍不符合要求"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(show(&t, &token, &second).await["tries_left"], false);

    let (status, body) = t
        .post_json("/api/v1/transfer-outs", Some(&token), form())
        .await;

    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "no_more_tries");
    let (_, list) = t.get_json("/api/v1/transfer-outs", Some(&token)).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        notices(&t, &token)
            .await
            .iter()
            .any(|n| n.contains("申请审核不通过") && n.contains("材料仍不符合要求"))
    );
}

async fn a_rejected_confirmation_gets_one_new_confirmation(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let city = staff(&t, &demo, "taiyuan").await;
    let id = pending_application(&t, &token).await;
    let reject = json!({"decision": "reject_confirmation", "reason": "登记表未签字"});

    let (status, body) = decide(&t, &city, &id, reject.clone()).await;
    assert_eq!(status, 200, "{body}");
    let seen = show(&t, &token, &id).await;
    assert_eq!(seen["state"], "confirmation_rejected");
    assert_eq!(seen["review"]["reason"], "登记表未签字");
    let old_photos: Vec<Value> = seen["confirmation_photos"].as_array().unwrap().clone();
    let (status, body) = t
        .post_json("/api/v1/transfer-outs", Some(&token), form())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("open_application"))
    );
    for kind in CONFIRMATION_PHOTOS {
        assert_eq!(confirmation_photo(&t, &token, &id, kind).await.0, 201);
    }
    let (status, body) = confirm(&t, &token, &id).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "pending_review");
    let photos = body["confirmation_photos"].as_array().unwrap();
    assert_eq!(photos.len(), 2, "the new photos replace the old ones");
    assert!(photos.iter().all(|p| !old_photos.contains(p)));
    assert_eq!(t.app.db.count_files().await.unwrap(), 6);

    let (status, _) = decide(&t, &city, &id, reject).await;
    assert_eq!(status, 200);
    assert_eq!(show(&t, &token, &id).await["tries_left"], false);
    let (status, body) = confirm(&t, &token, &id).await;

    assert_eq!(status, 409, "a second rejection is final: {body}");
    assert_eq!(
        show(&t, &token, &id).await["state"],
        "confirmation_rejected"
    );
    let (status, body) = t
        .post_json("/api/v1/transfer-outs", Some(&token), form())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("no_more_tries"))
    );
    let (status, _) = confirmation_photo(&t, &token, &id, "signed_form").await;
    assert_eq!(status, 409, "the rejected photos stay as they were");
    let path = format!("/api/v1/transfer-outs/{id}/target-specialty");
    assert_eq!(put_json(&t, &token, &path, specialty()).await.0, 409);
    assert_eq!(t.app.db.count_files().await.unwrap(), 6);
}

async fn uploads_wait_for_a_slot_when_many_are_read_at_once(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let id = new_draft(&t, &token).await;
    let path = format!("/api/v1/transfer-outs/{id}/materials/id_card");
    let all = zikao::service::UPLOADS_AT_ONCE as u32;
    let busy = t.app.upload_permits.acquire_many(all).await.unwrap();

    let waiting = tokio::time::timeout(
        std::time::Duration::from_millis(800),
        put_jpeg(&t, &token, &path, fixtures::standard()),
    )
    .await;
    assert!(waiting.is_err(), "no slot: the upload waits");
    assert_eq!(t.app.db.count_files().await.unwrap(), 0);
    let (status, _) = t
        .get_json(&format!("/api/v1/transfer-outs/{id}"), Some(&token))
        .await;
    assert_eq!(status, 200, "other requests are not held up");
    drop(busy);

    let (status, body) = put_jpeg(&t, &token, &path, fixtures::standard()).await;
    assert_eq!(status, 201, "{body}");
}

async fn changing_an_open_window_moves_its_applications(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let draft = new_draft(&t, &token).await;
    let now = zikao::clock::Clock::now(&*t.clock);
    let kind = zikao::domain::BusinessKind::Transfer;

    t.app
        .set_window(kind, now - Duration::days(1), now + Duration::hours(1))
        .await
        .unwrap();
    t.clock.advance(Duration::hours(2));
    let token = candidate(&t, &demo.candidates[0]).await;

    assert_eq!(
        show(&t, &token, &draft).await["state"],
        "abandoned",
        "shortened"
    );
    t.app.run_transfer_jobs().await.unwrap();
    assert_eq!(stored_state(&t, &draft).await, "abandoned");

    let (status, body) = t
        .post_json("/api/v1/transfer-outs", Some(&token), form())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("window_closed"))
    );
    let now = zikao::clock::Clock::now(&*t.clock);
    t.app
        .set_window(kind, now - Duration::hours(1), now + Duration::days(5))
        .await
        .unwrap();
    let (status, body) = t
        .post_json("/api/v1/transfer-outs", Some(&token), form())
        .await;
    assert_eq!(status, 201, "a new window starts afresh: {body}");
    let second = body["id"].as_str().unwrap().to_owned();
    t.app
        .set_window(kind, now - Duration::hours(1), now + Duration::days(9))
        .await
        .unwrap();
    t.clock.advance(Duration::days(6));
    let token = candidate(&t, &demo.candidates[0]).await;
    assert_eq!(
        show(&t, &token, &second).await["state"],
        "draft",
        "extended"
    );
}

async fn returns_for_correction_do_not_use_the_try(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let city = staff(&t, &demo, "taiyuan").await;
    let id = pending_application(&t, &token).await;

    let (status, body) = decide(
        &t,
        &city,
        &id,
        json!({"decision": "return_for_correction", "return_to": "application",
               "reason": "身份证照片模糊，请重新上传"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let seen = show(&t, &token, &id).await;
    assert_eq!(seen["state"], "draft");
    assert_eq!(seen["correction_note"], "身份证照片模糊，请重新上传");
    assert!(
        notices(&t, &token)
            .await
            .iter()
            .any(|n| n.contains("退回修改") && n.contains("身份证照片模糊"))
    );
    let edited = json!({"target_province": "44", "reason": "household_relocation",
                        "target_ticket": "440119000002"});
    let (status, body) = put_json(&t, &token, &format!("/api/v1/transfer-outs/{id}"), edited).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["target_province_name"], "广东");
    let blurred = seen["materials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "id_card")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = delete(
        &t,
        &token,
        &format!("/api/v1/transfer-outs/{id}/materials/{blurred}"),
    )
    .await;
    assert_eq!(status, 204);
    let path = format!("/api/v1/transfer-outs/{id}/materials/id_card");
    assert_eq!(
        put_jpeg(&t, &token, &path, fixtures::standard()).await.0,
        201
    );
    let (status, body) = submit(&t, &token, &id).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["target_ticket"], "440119000002");
    let (status, body) = confirm(&t, &token, &id).await;
    assert_eq!(
        (status, body["state"].as_str()),
        (200, Some("pending_review"))
    );

    let (status, body) = decide(
        &t,
        &city,
        &id,
        json!({"decision": "return_for_correction", "return_to": "confirmation",
               "reason": "手持登记表照片看不清面部"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let seen = show(&t, &token, &id).await;
    assert_eq!(seen["state"], "awaiting_confirmation");
    assert_eq!(seen["correction_note"], "手持登记表照片看不清面部");
    assert_eq!(
        confirmation_photo(&t, &token, &id, "holding_form").await.0,
        201
    );
    assert_eq!(confirm(&t, &token, &id).await.0, 200);

    let (status, _) = decide(
        &t,
        &city,
        &id,
        json!({"decision": "reject_application", "reason": "不符合转出条件"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        show(&t, &token, &id).await["tries_left"],
        true,
        "two returns and one rejection leave the one more try"
    );
    let (status, body) = t
        .post_json("/api/v1/transfer-outs", Some(&token), form())
        .await;

    assert_eq!(status, 201, "{body}");
}

async fn two_reviewers_at_once_only_one_decides(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let city = staff(&t, &demo, "taiyuan").await;
    let admin = staff(&t, &demo, "admin").await;
    let id = pending_application(&t, &token).await;

    let ((s1, b1), (s2, b2)) = tokio::join!(
        decide(&t, &city, &id, json!({"decision": "approve"})),
        decide(
            &t,
            &admin,
            &id,
            json!({"decision": "reject_application", "reason": "材料不全"})
        ),
    );

    let mut statuses = [s1, s2];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{b1} / {b2}");
    let (winner, loser) = if s1 == 200 { (b1, b2) } else { (b2, b1) };
    assert_eq!(loser["error"], "already_decided");
    let seen = show(&t, &token, &id).await;
    assert_eq!(seen["state"], winner["state"]);
    assert_eq!(
        stored_state(&t, &id).await,
        winner["state"].as_str().unwrap()
    );
    let decision_notices = notices(&t, &token)
        .await
        .into_iter()
        .filter(|n| n.contains("初审通过") || n.contains("申请审核不通过"))
        .count();
    assert_eq!(decision_notices, 1);
    let (status, body) = decide(&t, &city, &id, json!({"decision": "approve"})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_decided")),
        "a decided application stays decided"
    );
}

async fn one_open_application_at_a_time(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let again = || t.post_json("/api/v1/transfer-outs", Some(&token), form());

    let id = new_draft(&t, &token).await;
    let (status, body) = again().await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("open_application")),
        "while draft"
    );
    add_materials(&t, &token, &id).await;
    assert_eq!(submit(&t, &token, &id).await.0, 200);
    let (status, body) = again().await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("open_application")),
        "while awaiting confirmation"
    );
    confirm_with_photos(&t, &token, &id).await;
    let (status, body) = again().await;

    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("open_application")),
        "while pending review"
    );
    let (_, list) = t.get_json("/api/v1/transfer-outs", Some(&token)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
}

async fn the_window_close_abandons_unconfirmed_applications(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let (wang, chen) = (&demo.candidates[0], &demo.candidates[1]);
    let token = candidate(&t, wang).await;
    let draft = new_draft(&t, &token).await;
    let chen_token = candidate(&t, chen).await;
    let awaiting = new_draft(&t, &chen_token).await;
    add_materials(&t, &chen_token, &awaiting).await;
    assert_eq!(submit(&t, &chen_token, &awaiting).await.0, 200);

    t.clock.advance(Duration::days(31));

    let token = candidate(&t, wang).await;
    let chen_token = candidate(&t, chen).await;
    assert_eq!(show(&t, &token, &draft).await["state"], "abandoned");
    assert_eq!(show(&t, &chen_token, &awaiting).await["state"], "abandoned");
    assert_eq!(
        stored_state(&t, &draft).await,
        "draft",
        "no job has run yet"
    );
    let path = format!("/api/v1/transfer-outs/{draft}/materials/id_card");
    let (status, body) = put_jpeg(&t, &token, &path, fixtures::standard()).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("abandoned")));
    assert_eq!(submit(&t, &token, &draft).await.0, 409);
    let (status, _) = confirmation_photo(&t, &chen_token, &awaiting, "signed_form").await;
    assert_eq!(status, 409);
    assert_eq!(confirm(&t, &chen_token, &awaiting).await.0, 409);
    let (status, body) = t
        .post_json("/api/v1/transfer-outs", Some(&token), form())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("window_closed"))
    );
    assert_eq!(
        t.app.db.count_files().await.unwrap(),
        4,
        "only 陈静's materials"
    );

    t.app.run_transfer_jobs().await.unwrap();
    t.app.run_transfer_jobs().await.unwrap();

    assert_eq!(stored_state(&t, &draft).await, "abandoned");
    assert_eq!(stored_state(&t, &awaiting).await, "abandoned");
    for tok in [&token, &chen_token] {
        let abandoned = notices(&t, tok)
            .await
            .into_iter()
            .filter(|n| n.contains("视为自动放弃") && !n.starts_with("提醒"))
            .count();
        assert_eq!(abandoned, 1, "one notice of the abandonment");
    }
}

async fn reminders(t: &TestApp, token: &str) -> usize {
    notices(t, token)
        .await
        .into_iter()
        .filter(|n| n.starts_with("提醒"))
        .count()
}

async fn unconfirmed_applications_are_reminded_three_days_and_one_day_before(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let (wang, chen) = (&demo.candidates[0], &demo.candidates[1]);
    let token = candidate(&t, wang).await;
    let id = new_draft(&t, &token).await;
    add_materials(&t, &token, &id).await;
    assert_eq!(submit(&t, &token, &id).await.0, 200);
    let chen_token = candidate(&t, chen).await;
    pending_application(&t, &chen_token).await;
    let window_end = crate::harness::start_time() + Duration::days(30);
    t.app.run_transfer_jobs().await.unwrap();
    assert_eq!(reminders(&t, &token).await, 0, "30 days left");

    t.clock
        .set(window_end - Duration::days(3) + Duration::hours(1));
    t.app.run_transfer_jobs().await.unwrap();
    t.app.run_transfer_jobs().await.unwrap();

    let token = candidate(&t, wang).await;
    assert_eq!(reminders(&t, &token).await, 1, "the 3-day reminder, once");
    let text = notices(&t, &token).await.remove(0);
    assert!(text.contains("尚未完成线上确认"), "{text}");

    t.clock
        .set(window_end - Duration::days(1) + Duration::hours(1));
    t.app.run_transfer_jobs().await.unwrap();
    t.app.run_transfer_jobs().await.unwrap();

    let token = candidate(&t, wang).await;
    assert_eq!(reminders(&t, &token).await, 2, "the 1-day reminder, once");
    let chen_token = candidate(&t, chen).await;
    assert_eq!(
        reminders(&t, &chen_token).await,
        0,
        "a confirmed application"
    );
    assert_eq!(stored_state(&t, &id).await, "awaiting_confirmation");
}

async fn another_candidates_application_is_not_found(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let id = pending_application(&t, &token).await;
    let seen = show(&t, &token, &id).await;
    let image = seen["materials"][0]["id"].as_str().unwrap().to_owned();
    let file = seen["materials"][0]["file_id"].as_str().unwrap().to_owned();
    let other = candidate(&t, &demo.candidates[1]).await;
    let files_before = t.app.db.count_files().await.unwrap();
    let base = format!("/api/v1/transfer-outs/{id}");

    let mut statuses = vec![
        ("GET", t.get_json(&base, Some(&other)).await.0),
        ("PUT form", put_json(&t, &other, &base, form()).await.0),
        (
            "PUT material",
            put_jpeg(
                &t,
                &other,
                &format!("{base}/materials/id_card"),
                fixtures::standard(),
            )
            .await
            .0,
        ),
        (
            "DELETE material",
            delete(&t, &other, &format!("{base}/materials/{image}"))
                .await
                .0,
        ),
        ("submit", submit(&t, &other, &id).await.0),
        (
            "reopen",
            t.post_json(&format!("{base}/reopen"), Some(&other), json!({}))
                .await
                .0,
        ),
        (
            "target-specialty",
            put_json(&t, &other, &format!("{base}/target-specialty"), specialty())
                .await
                .0,
        ),
        (
            "confirmation photo",
            confirmation_photo(&t, &other, &id, "signed_form").await.0,
        ),
        ("confirm", confirm(&t, &other, &id).await.0),
        (
            "file",
            get_bytes(&t, &other, &format!("{base}/files/{file}"))
                .await
                .0,
        ),
    ];
    let datong = staff(&t, &demo, "datong").await;
    let staff_base = format!("/api/v1/staff/transfer-outs/{id}");
    statuses.extend([
        ("大同 GET", t.get_json(&staff_base, Some(&datong)).await.0),
        (
            "大同 file",
            get_bytes(&t, &datong, &format!("{staff_base}/files/{file}"))
                .await
                .0,
        ),
        (
            "大同 decision",
            decide(&t, &datong, &id, json!({"decision": "approve"}))
                .await
                .0,
        ),
    ]);
    let (_, datong_queue) = t
        .get_json("/api/v1/staff/transfer-outs", Some(&datong))
        .await;
    let point = staff(&t, &demo, "xiaodian").await;
    let (point_status, point_body) = t
        .get_json("/api/v1/staff/transfer-outs", Some(&point))
        .await;

    for (what, status) in &statuses {
        assert_eq!(*status, 404, "{what}");
    }
    assert_eq!(datong_queue["items"], json!([]));
    assert_eq!(
        datong_queue["counts"]
            .get("pending_review")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        0
    );
    assert_eq!(point_status, 403, "{point_body}");
    let seen_after = show(&t, &token, &id).await;
    assert_eq!(seen_after["state"], "pending_review");
    assert_eq!(seen_after["materials"], seen["materials"]);
    assert_eq!(
        seen_after["confirmation_photos"],
        seen["confirmation_photos"]
    );
    assert!(seen_after["review"].is_null());
    assert_eq!(t.app.db.count_files().await.unwrap(), files_before);
    let taiyuan = staff(&t, &demo, "taiyuan").await;
    let (_, queue) = t
        .get_json("/api/v1/staff/transfer-outs", Some(&taiyuan))
        .await;
    assert_eq!(queue["items"][0]["id"], id.as_str());
}

pub(crate) async fn refused_images_store_nothing(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let id = new_draft(&t, &token).await;
    let path = format!("/api/v1/transfer-outs/{id}/materials/id_card");
    let photo = fixtures::standard();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a PNG",
            fixtures::png(800, 600),
            "文件不是JPG格式的图片，请上传jpg格式的照片",
        ),
        (
            "499×600",
            fixtures::photo(499, 600),
            "分辨率不得小于500*600（当前为499*600）",
        ),
        (
            "6 MB + 1 byte",
            fixtures::jpeg_magic_of_len(6 * 1024 * 1024 + 1),
            "图片大小不得大于6M",
        ),
        (
            "a header claiming 60000×60000",
            fixtures::with_claimed_size(&photo, 60_000, 60_000),
            "图片尺寸过大（60000×60000），请使用正常拍摄的照片",
        ),
        (
            "a truncated JPEG",
            fixtures::truncated(&photo),
            "图片文件已损坏或不完整，请重新拍摄后上传",
        ),
    ];

    for (what, bytes, message) in cases {
        let (status, body) = put_jpeg(&t, &token, &path, bytes).await;

        assert_eq!(status, 422, "{what}: {body}");
        assert_eq!(body["fields"]["id_card"], message, "{what}");
        assert_eq!(t.app.db.count_files().await.unwrap(), 0, "{what}");
        assert_eq!(stored_objects(&t).await, 0, "{what}");
    }
    assert_eq!(show(&t, &token, &id).await["materials"], json!([]));
}

async fn at_most_ten_images_per_kind(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let id = new_draft(&t, &token).await;
    let path = format!("/api/v1/transfer-outs/{id}/materials/passed_courses");
    for i in 1..=10 {
        let (status, body) = put_jpeg(&t, &token, &path, fixtures::small()).await;
        assert_eq!(status, 201, "image {i}: {body}");
    }

    let (status, body) = put_jpeg(&t, &token, &path, fixtures::small()).await;

    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["fields"]["passed_courses"],
        "2011年后历次合格课程最多上传10张"
    );
    assert_eq!(t.app.db.count_files().await.unwrap(), 10);
    assert_eq!(stored_objects(&t).await, 20, "a photo and a thumbnail each");
    assert_eq!(
        show(&t, &token, &id).await["materials"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    let other = format!("/api/v1/transfer-outs/{id}/materials/id_card");
    assert_eq!(
        put_jpeg(&t, &token, &other, fixtures::small()).await.0,
        201,
        "the limit is per kind"
    );
}

pub(crate) async fn materials_are_deleted_only_while_draft(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let id = new_draft(&t, &token).await;
    add_materials(&t, &token, &id).await;
    let path = format!("/api/v1/transfer-outs/{id}/materials/id_card");
    let (_, extra) = put_jpeg(&t, &token, &path, fixtures::standard()).await;
    let extra = extra["id"].as_str().unwrap().to_owned();

    let (status, _) = delete(
        &t,
        &token,
        &format!("/api/v1/transfer-outs/{id}/materials/{extra}"),
    )
    .await;

    assert_eq!(status, 204);
    let materials = show(&t, &token, &id).await["materials"].clone();
    assert_eq!(materials.as_array().unwrap().len(), 4);
    assert!(
        materials
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["id"] != extra.as_str())
    );
    assert_eq!(t.app.db.count_files().await.unwrap(), 4);
    assert_eq!(stored_objects(&t).await, 8);

    assert_eq!(submit(&t, &token, &id).await.0, 200);
    let kept = materials[0]["id"].as_str().unwrap();
    let (status, body) = delete(
        &t,
        &token,
        &format!("/api/v1/transfer-outs/{id}/materials/{kept}"),
    )
    .await;

    assert_eq!(status, 409, "{body}");
    assert_eq!(show(&t, &token, &id).await["materials"], materials);
    assert_eq!(t.app.db.count_files().await.unwrap(), 4);
    let (status, _) = put_jpeg(&t, &token, &path, fixtures::standard()).await;
    assert_eq!(status, 409, "no new material after submission");
}

async fn stored_photos_carry_no_exif(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let id = new_draft(&t, &token).await;
    let upload = fixtures::with_gps_exif(&fixtures::standard());
    assert!(fixtures::contains(&upload, fixtures::GPS_TEXT));
    assert_eq!(fixtures::jpeg_size(&upload), (800, 600));

    let path = format!("/api/v1/transfer-outs/{id}/materials/id_card");
    let (status, image) = put_jpeg(&t, &token, &path, upload).await;

    assert_eq!(status, 201, "{image}");
    let file = image["file_id"].as_str().unwrap();
    let (status, kind, stored) = get_bytes(
        &t,
        &token,
        &format!("/api/v1/transfer-outs/{id}/files/{file}"),
    )
    .await;
    assert_eq!((status, kind.as_str()), (200, "image/jpeg"));
    assert!(!fixtures::contains(&stored, b"GPS"));
    assert!(!fixtures::contains(&stored, b"Exif\0\0"));
    assert_eq!(fixtures::jpeg_size(&stored), (800, 600));
    let (status, _, thumb) = get_bytes(
        &t,
        &token,
        &format!("/api/v1/transfer-outs/{id}/files/{file}?size=thumb"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(fixtures::jpeg_size(&thumb), (320, 240));
    assert!(!fixtures::contains(&thumb, b"GPS"));
}

async fn reopen_returns_to_draft_until_confirmed(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let id = new_draft(&t, &token).await;
    let reopen_path = format!("/api/v1/transfer-outs/{id}/reopen");
    let reopen = || t.post_json(&reopen_path, Some(&token), json!({}));
    let (status, body) = reopen().await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("invalid_state"))
    );
    add_materials(&t, &token, &id).await;
    assert_eq!(submit(&t, &token, &id).await.0, 200);

    let (status, body) = reopen().await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "draft");
    let edited = json!({"target_province": "11", "reason": "work_relocation",
                        "target_ticket": "110119000009"});
    let (status, body) = put_json(&t, &token, &format!("/api/v1/transfer-outs/{id}"), edited).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["target_province_name"], "北京");
    assert_eq!(submit(&t, &token, &id).await.0, 200);
    confirm_with_photos(&t, &token, &id).await;

    let (status, body) = reopen().await;

    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "invalid_state");
    assert_eq!(show(&t, &token, &id).await["state"], "pending_review");
    let (status, _) = put_json(&t, &token, &format!("/api/v1/transfer-outs/{id}"), form()).await;
    assert_eq!(status, 409, "the form is not editable under review");
}

both_backends!(
    happy_path_from_draft_to_approval,
    invalid_forms_name_their_fields,
    a_rejected_application_gets_exactly_one_more_try,
    a_rejected_confirmation_gets_one_new_confirmation,
    returns_for_correction_do_not_use_the_try,
    two_reviewers_at_once_only_one_decides,
    one_open_application_at_a_time,
    the_window_close_abandons_unconfirmed_applications,
    unconfirmed_applications_are_reminded_three_days_and_one_day_before,
    another_candidates_application_is_not_found,
    refused_images_store_nothing,
    at_most_ten_images_per_kind,
    materials_are_deleted_only_while_draft,
    stored_photos_carry_no_exif,
    reopen_returns_to_draft_until_confirmed,
    changing_an_open_window_moves_its_applications,
    uploads_wait_for_a_slot_when_many_are_read_at_once,
);
