//! Identity verification pages in a browser, without script: the registration
//! point's review queue and decisions, city offices kept out, 现场认证, and the
//! forgotten-password pages from 身份证号 + 姓名 to the new password.

use reqwest::Client;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use zikao::service::demo::DemoAccounts;

use crate::both_backends;
use crate::harness::{Backend, TestApp, id_number, text_of};
use crate::pages::{Page, cookie_attrs, field_error, get, has, post, sign_in};
use crate::photos::{faces_of, jpeg, people, portrait};

const PASSWORD: &str = "Kaoshi#2026";
const NEW_PASSWORD: &str = "Xinmima#2026";

/// Registers a new candidate of 小店区 over the API; their token and 身份证号.
async fn new_candidate(t: &TestApp) -> (String, String) {
    let id = id_number("14010520000101123");
    let body = json!({
        "name": "张伟", "id_number": id, "phone": "13912345678", "email": "",
        "password": PASSWORD, "ethnicity": "汉族", "household": "城镇",
        "education": "普通高中", "occupation": "学生", "politics": "群众", "county": "140105"
    });
    let (status, res) = t.post_json("/api/v1/registrations/new", None, body).await;
    assert_eq!(status, 201, "{res}");
    (t.login(&id, PASSWORD).await, id)
}

/// Three photos of one person of the example set.
fn one_person(index: usize) -> Vec<Vec<u8>> {
    faces_of(&people()[index])
        .iter()
        .take(3)
        .map(|f| jpeg(&portrait(f)))
        .collect()
}

/// Consents, uploads 三照 over the API and runs the checks; the result.
async fn send_photos(t: &TestApp, token: &str, photos: &[Vec<u8>]) -> Value {
    let (status, _) = t
        .post_json("/api/v1/me/consent", Some(token), json!({"accepted": true}))
        .await;
    assert_eq!(status, 204);
    for (kind, bytes) in ["portrait", "id_card", "holding_id"].iter().zip(photos) {
        let res = t
            .api()
            .put(t.url(&format!("/api/v1/me/identity-photos/{kind}")))
            .bearer_auth(token)
            .header("content-type", "image/jpeg")
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{kind}");
    }
    let (status, result) = t
        .post_json("/api/v1/me/identity-verification", Some(token), json!({}))
        .await;
    assert_eq!(status, 200, "{result}");
    result
}

/// A platform without face models (every complete case goes to the queue),
/// with the demo staff.
async fn without_faces(backend: Backend) -> Option<(TestApp, DemoAccounts)> {
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().to_path_buf();
    let t = TestApp::spawn_with(backend, move |c| c.face_models_dir = dir).await?;
    let demo = t.demo().await;
    Some((t, demo))
}

/// A candidate whose photos wait in 小店区's queue; their token.
async fn case_in_queue(t: &TestApp) -> String {
    let (token, _) = new_candidate(t).await;
    let result = send_photos(t, &token, &one_person(0)).await;
    assert_eq!(result["outcome"], "review", "{result}");
    token
}

/// Signs a demo staff member without a second factor in with a fresh browser.
async fn staff_browser(t: &TestApp, demo: &DemoAccounts, username: &str) -> Client {
    let s = demo.staff.iter().find(|s| s.username == username).unwrap();
    let b = t.browser();
    let form = get(t, &b, "/admin").await;
    let res = post(
        t,
        &b,
        "/admin/login",
        &[
            ("csrf", &form.csrf()),
            ("username", &s.username),
            ("password", &s.password),
            ("totp", ""),
        ],
    )
    .await;
    assert_eq!(res.location(), "/admin/home", "{}", res.html);
    b
}

/// The candidate id of the first case in a queue page.
fn first_case(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("a.app-row").unwrap();
    let href = doc
        .select(&sel)
        .next()
        .and_then(|a| a.value().attr("href"))
        .expect("a case in the queue");
    href.trim_start_matches("/admin/identity/").to_owned()
}

/// Posts a multipart upload form the way a browser does: csrf first, then the photo.
async fn upload(t: &TestApp, b: &Client, path: &str, csrf: &str, bytes: Vec<u8>) -> Page {
    let part = Part::bytes(bytes)
        .file_name("photo.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let form = Form::new()
        .text("csrf", csrf.to_owned())
        .part("photo", part);
    let res = b.post(t.url(path)).multipart(form).send().await.unwrap();
    Page {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        html: res.text().await.unwrap(),
    }
}

async fn registration_point_rejects_then_approves_through_the_pages(backend: Backend) {
    let Some((t, demo)) = without_faces(backend).await else {
        return;
    };
    let token = case_in_queue(&t).await;
    let b = staff_browser(&t, &demo, "xiaodian").await;

    let home = get(&t, &b, "/admin/home").await;
    assert!(has(&home.html, "a[href=\"/admin/identity\"]"));
    assert!(has(&home.html, "a[href=\"/admin/identity/in-person\"]"));
    let queue = get(&t, &b, "/admin/identity").await;
    assert_eq!(queue.status, 200);
    assert_eq!(text_of(&queue.html, ".tabs .count").as_deref(), Some("1"));
    assert!(queue.html.contains("太原市小店区"));
    let id = first_case(&queue.html);
    let case = get(&t, &b, &format!("/admin/identity/{id}")).await;
    assert_eq!(case.status, 200);
    assert!(
        case.html.contains("本平台暂未启用人脸自动比对"),
        "the findings"
    );
    assert!(case.html.contains("1401**********"), "the number masked");
    assert!(!case.html.contains(&id_number("14010520000101123")));
    for kind in ["portrait", "id_card", "holding_id"] {
        let src = format!("/admin/identity/{id}/photos/{kind}");
        assert!(has(&case.html, &format!("img[src=\"{src}\"]")), "{kind}");
        let res = b.get(t.url(&src)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/jpeg");
    }
    let decision = format!("/admin/identity/{id}/decision");

    let res = post(
        &t,
        &b,
        &decision,
        &[("csrf", &case.csrf()), ("decision", "reject")],
    )
    .await;
    assert_eq!(res.status, 422);
    assert_eq!(
        field_error(&res.html, "reason").as_deref(),
        Some("错误：请选择不通过的原因")
    );
    let res = post(
        &t,
        &b,
        &decision,
        &[
            ("csrf", &case.csrf()),
            ("decision", "reject"),
            ("reason", "unclear"),
            ("note", "身份证反光，请避开灯光"),
        ],
    )
    .await;
    assert_eq!(
        (res.status, res.location()),
        (303, "/admin/identity?done=reject")
    );
    let (_, view) = t.get_json("/api/v1/me/identity", Some(&token)).await;
    assert_eq!(view["last"]["outcome"], "rejected");
    assert_eq!(
        view["last"]["reasons"][0],
        "照片不清晰：身份证反光，请避开灯光"
    );
    let queue = get(&t, &b, "/admin/identity?done=reject").await;
    assert_eq!(text_of(&queue.html, ".tabs .count").as_deref(), Some("0"));
    assert!(has(&queue.html, ".ok[role=status]"));

    let (status, result) = t
        .post_json("/api/v1/me/identity-verification", Some(&token), json!({}))
        .await;
    assert_eq!((status, &result["outcome"]), (200, &json!("review")));
    let res = post(
        &t,
        &b,
        &decision,
        &[("csrf", &case.csrf()), ("decision", "approve")],
    )
    .await;
    assert_eq!(
        (res.status, res.location()),
        (303, "/admin/identity?done=approve")
    );
    let again = post(
        &t,
        &b,
        &decision,
        &[("csrf", &case.csrf()), ("decision", "approve")],
    )
    .await;
    assert_eq!(again.status, 409);
    assert_eq!(
        text_of(&again.html, "p.alert").as_deref(),
        Some("该考生的身份审核已办理，请刷新队列")
    );
    let (_, me) = t.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(me["identity_state"], "verified");
}

async fn city_offices_do_not_reach_identity_review(backend: Backend) {
    let Some((t, demo)) = without_faces(backend).await else {
        return;
    };
    case_in_queue(&t).await;
    let point = staff_browser(&t, &demo, "xiaodian").await;
    let id = first_case(&get(&t, &point, "/admin/identity").await.html);
    let city = staff_browser(&t, &demo, "taiyuan").await;

    let home = get(&t, &city, "/admin/home").await;
    let queue = get(&t, &city, "/admin/identity").await;
    let case = get(&t, &city, &format!("/admin/identity/{id}")).await;
    let photo = get(&t, &city, &format!("/admin/identity/{id}/photos/portrait")).await;
    let in_person = get(&t, &city, "/admin/identity/in-person").await;
    let decided = post(
        &t,
        &city,
        &format!("/admin/identity/{id}/decision"),
        &[("csrf", &home.csrf()), ("decision", "approve")],
    )
    .await;

    assert!(!has(&home.html, "a[href=\"/admin/identity\"]"));
    for page in [&queue, &case, &photo, &in_person, &decided] {
        assert_eq!(page.status, 403, "{}", page.html);
    }
    assert_eq!(text_of(&queue.html, "h1").as_deref(), Some("无权访问"));
    let anonymous = get(&t, &t.browser(), "/admin/identity").await;
    assert_eq!(anonymous.location(), "/admin");
}

async fn registration_point_verifies_in_person_through_the_pages(backend: Backend) {
    let Some((t, demo)) = without_faces(backend).await else {
        return;
    };
    let (token, id) = new_candidate(&t).await;
    let b = staff_browser(&t, &demo, "xiaodian").await;
    let form = get(&t, &b, "/admin/identity/in-person").await;
    assert_eq!(form.status, 200);

    let bad = post(
        &t,
        &b,
        "/admin/identity/in-person",
        &[("csrf", &form.csrf()), ("id_number", "123")],
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(field_error(&bad.html, "id_number").is_some());
    let found = post(
        &t,
        &b,
        "/admin/identity/in-person",
        &[("csrf", &form.csrf()), ("id_number", &id)],
    )
    .await;
    assert_eq!(found.status, 200, "{}", found.html);
    assert!(found.html.contains("张伟"));
    assert!(found.html.contains("1401**********"), "masked");
    assert!(!found.html.contains(&id), "never the whole number");
    assert_eq!(
        text_of(&found.html, ".badge").as_deref(),
        Some("待身份认证")
    );
    let doc = scraper::Html::parse_document(&found.html);
    let sel = scraper::Selector::parse("form[action^=\"/admin/identity/in-person/\"]").unwrap();
    let action = doc
        .select(&sel)
        .next()
        .and_then(|f| f.value().attr("action"))
        .unwrap()
        .to_owned();
    let unchecked = post(&t, &b, &action, &[("csrf", &found.csrf())]).await;
    assert_eq!(unchecked.status, 422);
    assert_eq!(
        field_error(&unchecked.html, "card_checked").as_deref(),
        Some("错误：请核对身份证原件与本人后勾选确认")
    );
    let done = post(
        &t,
        &b,
        &action,
        &[("csrf", &found.csrf()), ("card_checked", "yes")],
    )
    .await;

    assert_eq!(done.status, 200, "{}", done.html);
    assert!(has(&done.html, ".ok[role=status]"));
    assert_eq!(text_of(&done.html, ".badge").as_deref(), Some("已认证"));
    let (_, me) = t.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(me["identity_state"], "verified");
    let (_, view) = t.get_json("/api/v1/me/identity", Some(&token)).await;
    assert_eq!(view["last"]["outcome"], "in_person");
    let twice = post(
        &t,
        &b,
        &action,
        &[("csrf", &found.csrf()), ("card_checked", "yes")],
    )
    .await;
    assert_eq!(twice.status, 409);
}

async fn a_forgotten_password_is_recovered_through_the_pages(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let (token, id) = new_candidate(&t).await;
    let photos = one_person(3);
    let result = send_photos(&t, &token, &photos).await;
    assert_eq!(result["outcome"], "passed", "{result}");
    let b = t.browser();
    let home = get(&t, &b, "/").await;
    assert!(
        has(&home.html, "a[href=\"/recover\"]"),
        "linked from the login"
    );
    let start = get(&t, &b, "/recover").await;
    assert_eq!(start.status, 200);
    assert_eq!(
        get(&t, &b, "/recover/photos").await.location(),
        "/recover",
        "nothing to continue yet"
    );

    let wrong = post(
        &t,
        &b,
        "/recover",
        &[
            ("csrf", &start.csrf()),
            ("id_number", &id),
            ("name", "李四"),
        ],
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        field_error(&wrong.html, "name").as_deref(),
        Some("错误：身份证号与姓名不匹配，或该身份证号尚未注册")
    );
    let started = post(
        &t,
        &b,
        "/recover",
        &[
            ("csrf", &start.csrf()),
            ("id_number", &id),
            ("name", "张伟"),
        ],
    )
    .await;
    assert_eq!(
        (started.status, started.location()),
        (303, "/recover/photos")
    );
    let cookie = started.set_cookie("zk_recovery").unwrap();
    let attrs = cookie_attrs(&cookie);
    assert!(attrs.contains(&"httponly".to_owned()), "{cookie}");
    assert!(attrs.contains(&"path=/recover".to_owned()), "{cookie}");
    let page = get(&t, &b, "/recover/photos").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        get(&t, &b, "/recover/password").await.location(),
        "/recover/photos",
        "photos first"
    );
    let other = jpeg(&portrait(&faces_of(&people()[4])[0]));
    for (kind, bytes) in [("id_card", photos[1].clone()), ("holding_id", other)] {
        let path = format!("/recover/photos/{kind}");
        let res = upload(&t, &b, &path, &page.csrf(), bytes).await;
        assert_eq!((res.status, res.location()), (303, "/recover/photos"));
    }
    let png = upload(
        &t,
        &b,
        "/recover/photos/holding_id",
        &page.csrf(),
        b"\x89PNG\r\n\x1a\n0000000000".to_vec(),
    )
    .await;
    assert_eq!(png.status, 422);
    assert!(
        text_of(&png.html, "#photo-holding_id-note")
            .unwrap_or_default()
            .contains("不是JPG格式"),
        "beside its photo: {}",
        png.html
    );
    let failed = post(&t, &b, "/recover/verify", &[("csrf", &page.csrf())]).await;
    assert_eq!(failed.status, 422);
    assert!(
        failed.html.contains("不是同一人"),
        "the reason: {}",
        failed.html
    );
    let res = upload(
        &t,
        &b,
        "/recover/photos/holding_id",
        &page.csrf(),
        photos[2].clone(),
    )
    .await;
    assert_eq!(res.status, 303);
    let passed = post(&t, &b, "/recover/verify", &[("csrf", &page.csrf())]).await;
    assert_eq!(
        (passed.status, passed.location()),
        (303, "/recover/password"),
        "{}",
        passed.html
    );
    let form = get(&t, &b, "/recover/password").await;
    assert_eq!(form.status, 200);
    let mismatch = post(
        &t,
        &b,
        "/recover/password",
        &[
            ("csrf", &form.csrf()),
            ("new_password", NEW_PASSWORD),
            ("new_password_confirm", "Xinmima#2027"),
        ],
    )
    .await;
    assert_eq!(mismatch.status, 422);
    assert_eq!(
        field_error(&mismatch.html, "new_password_confirm").as_deref(),
        Some("错误：两次输入的新密码不一致")
    );
    let done = post(
        &t,
        &b,
        "/recover/password",
        &[
            ("csrf", &form.csrf()),
            ("new_password", NEW_PASSWORD),
            ("new_password_confirm", NEW_PASSWORD),
        ],
    )
    .await;

    assert_eq!(done.status, 200, "{}", done.html);
    assert!(has(&done.html, ".ok[role=status]"));
    let (status, _) = t.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(status, 401, "every old session ended");
    assert_eq!(
        get(&t, &b, "/recover/password").await.location(),
        "/recover",
        "the recovery ended too"
    );
    let old = sign_in(&t, &t.browser(), &id, PASSWORD).await;
    assert_eq!(old.status, 401, "the old password is refused");
    let new = sign_in(&t, &t.browser(), &id, NEW_PASSWORD).await;
    assert_eq!(new.location(), "/center", "the new one works");
}

both_backends!(
    registration_point_rejects_then_approves_through_the_pages,
    city_offices_do_not_reach_identity_review,
    registration_point_verifies_in_person_through_the_pages,
    a_forgotten_password_is_recovered_through_the_pages,
);
