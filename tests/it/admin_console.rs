//! The province admin's console: announcements sanitised and published on time,
//! staff accounts disabled, lists and windows edited with immediate effect for
//! candidates.

use chrono::Duration;
use reqwest::Client;
use serde_json::json;
use zikao::service::demo::DemoAccounts;

use crate::both_backends;
use crate::harness::{Backend, TestApp, text_of};
use crate::pages::{Page, field_error, get, has, post, sign_in};

fn totp_code(t: &TestApp, secret: &str) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp =
        totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap();
    totp.generate(zikao::clock::Clock::now(&*t.clock).timestamp() as u64)
}

/// Posts the staff login form.
async fn staff_login(t: &TestApp, b: &Client, username: &str, password: &str, code: &str) -> Page {
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

async fn signed_in(t: &TestApp, demo: &DemoAccounts, username: &str) -> Client {
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
async fn submit(
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

async fn a_disabled_reason_leaves_the_candidate_form_at_once(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let admin = signed_in(&t, &demo, "admin").await;
    let c = &demo.candidates[0];
    let candidate = t.browser();
    sign_in(&t, &candidate, &c.id_number, c.password.as_deref().unwrap()).await;
    assert!(
        get(&t, &candidate, "/transfer/new")
            .await
            .html
            .contains("value=\"military_service\"")
    );

    let done = submit(
        &t,
        &admin,
        "/admin/lists/reasons",
        "/admin/lists/reasons/military_service",
        &[("name", "入伍或随军"), ("enabled", "0")],
    )
    .await;
    assert_eq!(
        done.location(),
        "/admin/lists/reasons?saved=1",
        "{}",
        done.html
    );
    let added = submit(
        &t,
        &admin,
        "/admin/lists/reasons",
        "/admin/lists/reasons",
        &[
            ("code", "study_elsewhere"),
            ("name", "异地求学"),
            ("enabled", "1"),
        ],
    )
    .await;
    assert_eq!(added.status, 303, "{}", added.html);
    let bad = submit(
        &t,
        &admin,
        "/admin/lists/reasons",
        "/admin/lists/reasons",
        &[("code", "Bad Code"), ("name", "坏")],
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("代码应为2至32位小写字母"), "{}", bad.html);

    let form = get(&t, &candidate, "/transfer/new").await;
    assert!(
        !form.html.contains("value=\"military_service\""),
        "gone from the form"
    );
    assert!(
        form.html.contains("value=\"study_elsewhere\""),
        "the new reason is offered"
    );
    let (_, reasons) = t.get_json("/api/v1/transfer-outs/reasons", None).await;
    let codes: Vec<&str> = reasons
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(
        !codes.contains(&"military_service") && codes.contains(&"study_elsewhere"),
        "{reasons}"
    );
    assert_eq!(
        reasons[0].as_object().unwrap().len(),
        2,
        "still [{{code, name}}]"
    );

    let token = t.login(&c.id_number, c.password.as_deref().unwrap()).await;
    let (status, body) = t.post_json("/api/v1/transfer-outs", Some(&token),
        json!({"target_province": "41", "reason": "military_service", "target_ticket": "410119000001"})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["fields"]["reason"].is_string(), "{body}");
}

async fn a_closed_target_province_is_refused_at_create(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let admin = signed_in(&t, &demo, "admin").await;

    let done = submit(
        &t,
        &admin,
        "/admin/lists/provinces",
        "/admin/lists/provinces/41",
        &[("enabled", "0")],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.html);

    let c = &demo.candidates[0];
    let candidate = t.browser();
    sign_in(&t, &candidate, &c.id_number, c.password.as_deref().unwrap()).await;
    let form = get(&t, &candidate, "/transfer/new").await;
    assert!(!form.html.contains("value=\"41\""), "河南 is not offered");
    assert!(form.html.contains("value=\"42\""));
    let token = t.login(&c.id_number, c.password.as_deref().unwrap()).await;
    let (status, body) = t.post_json("/api/v1/transfer-outs", Some(&token),
        json!({"target_province": "41", "reason": "work_relocation", "target_ticket": "410119000001"})).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["fields"]["target_province"]
            .as_str()
            .unwrap()
            .contains("河南"),
        "{body}"
    );
    let (status, body) = t.post_json("/api/v1/transfer-outs", Some(&token),
        json!({"target_province": "42", "reason": "work_relocation", "target_ticket": "420119000001"})).await;
    assert_eq!(status, 201, "{body}");
}

async fn counties_and_cities_change_without_breaking_candidates(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let admin = signed_in(&t, &demo, "admin").await;
    let c = &demo.candidates[0];
    let county = c.county.clone();
    let page = format!("/admin/lists/cities/{}", &county[..4]);

    let renamed = submit(
        &t,
        &admin,
        &page,
        &format!("/admin/lists/counties/{county}"),
        &[("name", "新区名"), ("enabled", "0")],
    )
    .await;
    assert_eq!(renamed.status, 303, "{}", renamed.html);
    let bad = submit(
        &t,
        &admin,
        &page,
        "/admin/lists/counties",
        &[("code", "150101"), ("name", "外省县")],
    )
    .await;
    assert_eq!(bad.status, 422);
    let added = submit(
        &t,
        &admin,
        &page,
        "/admin/lists/counties",
        &[("code", &format!("{}99", &county[..4])), ("name", "示范区")],
    )
    .await;
    assert_eq!(added.status, 303, "{}", added.html);
    let city = submit(
        &t,
        &admin,
        "/admin/lists/cities",
        "/admin/lists/cities",
        &[("code", "1501"), ("name", "外省市")],
    )
    .await;
    assert_eq!(city.status, 422);
    assert!(city.html.contains("以14开头的4位数字"), "{}", city.html);

    let register = get(&t, &t.browser(), "/register/new").await;
    assert!(
        !register.html.contains(&format!("value=\"{county}\"")),
        "a disabled county takes no new candidates"
    );
    assert!(register.html.contains("示范区"));
    let candidate = t.browser();
    sign_in(&t, &candidate, &c.id_number, c.password.as_deref().unwrap()).await;
    let center = get(&t, &candidate, "/center").await;
    assert_eq!(center.status, 200);
    assert!(
        center.html.contains("新区名"),
        "the candidate keeps the county under its new name"
    );
    let points = get(&t, &t.browser(), "/points").await;
    assert!(
        points.html.contains("示范区自学考试报名点"),
        "the new county has a registration point"
    );
}

async fn windows_points_and_contacts_are_edited_with_messages(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let admin = signed_in(&t, &demo, "admin").await;

    let wrong = submit(
        &t,
        &admin,
        "/admin/windows",
        "/admin/windows/graduation",
        &[("start", "2027-01-10T08:00"), ("end", "2027-01-05T18:00")],
    )
    .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.html.contains("错误：结束时间必须晚于开始时间"),
        "{}",
        wrong.html
    );
    let empty = submit(
        &t,
        &admin,
        "/admin/windows",
        "/admin/windows/graduation",
        &[("start", ""), ("end", "x")],
    )
    .await;
    assert!(
        empty.html.contains("请填写时间") && empty.html.contains("时间格式应为"),
        "{}",
        empty.html
    );
    let saved = submit(
        &t,
        &admin,
        "/admin/windows",
        "/admin/windows/graduation",
        &[("start", "2027-01-05T08:00"), ("end", "2027-01-10T18:00")],
    )
    .await;
    assert_eq!(saved.location(), "/admin/windows?saved=graduation");
    let (_, windows) = t.get_json("/api/v1/windows", None).await;
    let graduation = windows
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "graduation")
        .unwrap();
    assert_eq!(graduation["start"], "2027-01-05T08:00:00+08:00");
    assert_eq!(graduation["end"], "2027-01-10T18:00:00+08:00");

    let bad_phone = submit(
        &t,
        &admin,
        "/admin/points/140105",
        "/admin/points/140105",
        &[
            ("name", "小店区报名点"),
            ("address", "示例路1号"),
            ("phone", "call me"),
        ],
    )
    .await;
    assert_eq!(bad_phone.status, 422);
    assert!(field_error(&bad_phone.html, "phone").is_some());
    let point = submit(
        &t,
        &admin,
        "/admin/points/140105",
        "/admin/points/140105",
        &[
            ("name", "小店区报名点"),
            ("address", "太原市小店区学府街100号"),
            ("phone", "0351-7000000"),
        ],
    )
    .await;
    assert_eq!(point.status, 303, "{}", point.html);
    assert!(
        get(&t, &t.browser(), "/points")
            .await
            .html
            .contains("太原市小店区学府街100号")
    );

    let taiyuan = signed_in(&t, &demo, "taiyuan").await;
    let own = submit(
        &t,
        &taiyuan,
        "/admin/contacts",
        "/admin/contacts/1401",
        &[
            ("office", "太原市招生考试中心"),
            ("address", "太原市迎泽大街1号"),
            ("phone", "0351-4000000"),
        ],
    )
    .await;
    assert_eq!(own.status, 303, "{}", own.html);
    let other = submit(
        &t,
        &taiyuan,
        "/admin/contacts",
        "/admin/contacts/1402",
        &[("office", "x"), ("address", "x"), ("phone", "0352-1")],
    )
    .await;
    assert_eq!(other.status, 403);
    let contacts = get(&t, &t.browser(), "/contacts").await;
    assert!(contacts.html.contains("太原市迎泽大街1号"));
}

async fn each_role_sees_only_its_menu(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let links = |html: &str| {
        let doc = scraper::Html::parse_document(html);
        let sel = scraper::Selector::parse("main a").unwrap();
        doc.select(&sel)
            .filter_map(|a| a.value().attr("href").map(str::to_owned))
            .collect::<Vec<_>>()
    };

    let admin = links(
        &get(&t, &signed_in(&t, &demo, "admin").await, "/admin/home")
            .await
            .html,
    );
    let city = links(
        &get(&t, &signed_in(&t, &demo, "taiyuan").await, "/admin/home")
            .await
            .html,
    );
    let point = links(
        &get(&t, &signed_in(&t, &demo, "xiaodian").await, "/admin/home")
            .await
            .html,
    );

    for href in [
        "/admin/staff",
        "/admin/windows",
        "/admin/announcements",
        "/admin/lists/reasons",
        "/admin/lists/provinces",
        "/admin/lists/cities",
        "/admin/points",
        "/admin/contacts",
        "/admin/transfers",
        "/admin/identity",
    ] {
        assert!(admin.iter().any(|h| h == href), "admin lacks {href}");
    }
    assert_eq!(city, ["/admin/transfers", "/admin/contacts"]);
    assert_eq!(point, ["/admin/identity", "/admin/identity/in-person"]);
}

both_backends!(
    announcements_are_sanitised_and_published_on_time,
    an_announcement_needs_a_title_and_a_valid_time,
    a_disabled_staff_member_is_signed_out_at_once,
    a_reset_second_factor_is_bound_again,
    a_disabled_reason_leaves_the_candidate_form_at_once,
    a_closed_target_province_is_refused_at_create,
    counties_and_cities_change_without_breaking_candidates,
    windows_points_and_contacts_are_edited_with_messages,
    each_role_sees_only_its_menu,
);
