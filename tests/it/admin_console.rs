//! The province admin's console: announcements sanitised and published on time,
//! staff accounts disabled and their second factor reset.

use chrono::Duration;
use reqwest::Client;
use zikao::service::demo::DemoAccounts;

use crate::both_backends;
use crate::harness::{Backend, TestApp, text_of};
use crate::pages::{Page, field_error, get, has, post};

pub(crate) fn totp_code(t: &TestApp, secret: &str) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp =
        totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap();
    totp.generate(zikao::clock::Clock::now(&*t.clock).timestamp() as u64)
}

/// Posts the staff login form.
pub(crate) async fn staff_login(
    t: &TestApp,
    b: &Client,
    username: &str,
    password: &str,
    code: &str,
) -> Page {
    let form = get(t, b, "/admin").await;
    post(
        t,
        b,
        "/admin/login",
        &[
            ("csrf", &form.csrf()),
            ("username", username),
            ("password", password),
            ("totp", code),
        ],
    )
    .await
}

pub(crate) async fn signed_in(t: &TestApp, demo: &DemoAccounts, username: &str) -> Client {
    let s = demo.staff.iter().find(|s| s.username == username).unwrap();
    let b = t.browser();
    let code = s
        .totp_secret
        .as_deref()
        .map(|x| totp_code(t, x))
        .unwrap_or_default();
    let res = staff_login(t, &b, &s.username, &s.password, &code).await;
    assert_eq!(res.location(), "/admin/home", "{}", res.html);
    b
}

/// GETs `page` for its CSRF token, then posts `fields` to `action`.
pub(crate) async fn submit(
    t: &TestApp,
    b: &Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> Page {
    let csrf = get(t, b, page).await.csrf();
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    post(t, b, action, &form).await
}

async fn announcements_are_sanitised_and_published_on_time(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let admin = signed_in(&t, &demo, "admin").await;
    let body = "## 报名须知\n\n<script>alert('x')</script>\n\n<img src=\"a.png\" onerror=\"alert(1)\">\n\n\
                [查看详情](javascript:alert(2))\n\n请按时**报名**。";

    let made = submit(
        &t,
        &admin,
        "/admin/announcements/new",
        "/admin/announcements/new",
        &[
            ("kind", "notice"),
            ("title", "2027年上半年报名通知"),
            ("body", body),
            ("publish_at", ""),
        ],
    )
    .await;
    assert_eq!(
        (made.status, made.location()),
        (303, "/admin/announcements?saved=1"),
        "{}",
        made.html
    );
    let later = submit(
        &t,
        &admin,
        "/admin/announcements/new",
        "/admin/announcements/new",
        &[
            ("kind", "notice"),
            ("title", "成绩发布预告"),
            ("body", "下周发布。"),
            ("publish_at", "2026-12-05T09:00"),
        ],
    )
    .await;
    assert_eq!(later.status, 303, "{}", later.html);
    let guide = submit(
        &t,
        &admin,
        "/admin/announcements/new",
        "/admin/announcements/new",
        &[
            ("kind", "guide"),
            ("title", "2027年报考简章"),
            ("body", "# 简章\n\n专业目录见附表。"),
            ("publish_at", ""),
        ],
    )
    .await;
    assert_eq!(guide.status, 303, "{}", guide.html);

    let visitor = t.browser();
    let list = get(&t, &visitor, "/query/notices").await;
    assert_eq!(list.status, 200);
    assert!(list.html.contains("2027年上半年报名通知"));
    assert!(!list.html.contains("成绩发布预告"), "scheduled for later");
    assert!(
        !list.html.contains("2027年报考简章"),
        "a guide is not a notice"
    );
    let home = get(&t, &visitor, "/").await;
    assert!(
        home.html.contains("2027年上半年报名通知"),
        "the home page lists the latest notices"
    );
    assert!(!home.html.contains("成绩发布预告"));

    let (status, notices) = t.get_json("/api/v1/announcements?kind=notice", None).await;
    assert_eq!(status, 200);
    assert_eq!(notices.as_array().unwrap().len(), 1, "{notices}");
    let id = notices[0]["id"].as_str().unwrap();
    let html = notices[0]["body_html"].as_str().unwrap();
    assert!(
        !html.contains("<script") && !html.contains("onerror") && !html.contains("javascript:"),
        "{html}"
    );
    assert!(html.contains("<strong>报名</strong>"), "{html}");

    let page = get(&t, &visitor, &format!("/query/notices/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.html.contains("alert("), "{}", page.html);
    assert!(has(&page.html, "article h2"), "Markdown becomes HTML");

    let all = t.app.db.all_announcements().await.unwrap();
    let scheduled = all
        .iter()
        .find(|a| a.title == "成绩发布预告")
        .unwrap()
        .id
        .clone();
    assert_eq!(
        get(&t, &visitor, &format!("/query/notices/{scheduled}"))
            .await
            .status,
        404
    );
    assert_eq!(
        t.get_json(&format!("/api/v1/announcements/{scheduled}"), None)
            .await
            .0,
        404
    );

    t.clock.advance(Duration::days(2));
    let list = get(&t, &visitor, "/query/notices").await;
    assert!(
        list.html.contains("成绩发布预告"),
        "shown from its publish time"
    );
    assert_eq!(
        get(&t, &visitor, &format!("/query/notices/{scheduled}"))
            .await
            .status,
        200
    );

    let shown = get(&t, &visitor, "/query/guide").await;
    assert_eq!(
        text_of(&shown.html, "article h1").as_deref(),
        Some("2027年报考简章")
    );
    let (_, guides) = t.get_json("/api/v1/announcements?kind=guide", None).await;
    assert_eq!(guides[0]["title"], "2027年报考简章");

    let admin = signed_in(&t, &demo, "admin").await;
    let withdrawn = submit(
        &t,
        &admin,
        "/admin/announcements",
        &format!("/admin/announcements/{id}/unpublish"),
        &[],
    )
    .await;
    assert_eq!(withdrawn.status, 303);
    assert_eq!(
        get(&t, &visitor, &format!("/query/notices/{id}"))
            .await
            .status,
        404
    );
    assert!(
        !get(&t, &visitor, "/query/notices")
            .await
            .html
            .contains("2027年上半年报名通知")
    );
}

async fn an_announcement_needs_a_title_and_a_valid_time(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let admin = signed_in(&t, &demo, "admin").await;

    let refused = submit(
        &t,
        &admin,
        "/admin/announcements/new",
        "/admin/announcements/new",
        &[
            ("kind", "notice"),
            ("title", " "),
            ("body", "正文"),
            ("publish_at", "明天"),
        ],
    )
    .await;

    assert_eq!(refused.status, 422);
    assert_eq!(
        field_error(&refused.html, "title").as_deref(),
        Some("错误：请填写标题")
    );
    assert!(
        field_error(&refused.html, "publish_at")
            .unwrap()
            .contains("发布时间格式")
    );
    assert!(t.app.db.all_announcements().await.unwrap().is_empty());
}

async fn a_disabled_staff_member_is_signed_out_at_once(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let datong = signed_in(&t, &demo, "datong").await;
    assert_eq!(get(&t, &datong, "/admin/transfers").await.status, 200);
    let admin = signed_in(&t, &demo, "admin").await;
    let id = t
        .app
        .db
        .staff_by_username("datong")
        .await
        .unwrap()
        .unwrap()
        .id;

    let done = submit(
        &t,
        &admin,
        &format!("/admin/staff/{id}"),
        &format!("/admin/staff/{id}/disable"),
        &[],
    )
    .await;
    assert_eq!(done.location(), format!("/admin/staff/{id}?done=disabled"));

    let after = get(&t, &datong, "/admin/transfers").await;
    assert_eq!(
        (after.status, after.location()),
        (303, "/admin"),
        "the session ended"
    );
    let s = demo.staff.iter().find(|s| s.username == "datong").unwrap();
    let again = staff_login(&t, &t.browser(), "datong", &s.password, "").await;
    assert_eq!(again.status, 401);
    assert!(again.html.contains("该账号已停用"), "{}", again.html);
    let wrong = staff_login(&t, &t.browser(), "datong", "Wrong#Password1", "").await;
    assert!(
        !wrong.html.contains("该账号已停用"),
        "only the password holder learns it"
    );

    let own = t
        .app
        .db
        .staff_by_username("admin")
        .await
        .unwrap()
        .unwrap()
        .id;
    let refused = submit(
        &t,
        &admin,
        "/admin/staff",
        &format!("/admin/staff/{own}/disable"),
        &[],
    )
    .await;
    assert_eq!(refused.status, 409, "an admin cannot disable themself");

    let enabled = submit(
        &t,
        &admin,
        &format!("/admin/staff/{id}"),
        &format!("/admin/staff/{id}/enable"),
        &[],
    )
    .await;
    assert_eq!(enabled.status, 303);
    let back = staff_login(&t, &t.browser(), "datong", &s.password, "").await;
    assert_eq!(back.location(), "/admin/home");
}

async fn a_reset_second_factor_is_bound_again(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let admin = signed_in(&t, &demo, "admin").await;
    let made = submit(
        &t,
        &admin,
        "/admin/staff",
        "/admin/staff",
        &[
            ("username", "second"),
            ("password", "Second#2026x"),
            ("role", "province_admin"),
        ],
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.html);
    let id = t
        .app
        .db
        .staff_by_username("second")
        .await
        .unwrap()
        .unwrap()
        .id;
    t.app
        .bind_totp_secret(&id, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        .await
        .unwrap();
    let second = t.browser();
    t.clock.advance(Duration::seconds(30));
    let code = totp_code(&t, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    assert_eq!(
        staff_login(&t, &second, "second", "Second#2026x", &code)
            .await
            .location(),
        "/admin/home"
    );

    let reset = submit(
        &t,
        &admin,
        &format!("/admin/staff/{id}"),
        &format!("/admin/staff/{id}/reset-totp"),
        &[],
    )
    .await;
    assert_eq!(reset.status, 303);

    assert_eq!(
        get(&t, &second, "/admin/home").await.location(),
        "/admin",
        "signed out"
    );
    let again = staff_login(&t, &t.browser(), "second", "Second#2026x", "").await;
    assert_eq!(again.location(), "/admin/totp", "enrols again");
}

both_backends!(
    announcements_are_sanitised_and_published_on_time,
    an_announcement_needs_a_title_and_a_valid_time,
    a_disabled_staff_member_is_signed_out_at_once,
    a_reset_second_factor_is_bound_again,
);
