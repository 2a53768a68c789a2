//! The province lists, windows, registration points and contacts as the
//! province admin edits them, each change reaching candidates at once; and each
//! role's menu.

use serde_json::json;

use crate::admin_console::{signed_in, submit};
use crate::both_backends;
use crate::harness::{Backend, TestApp};
use crate::pages::{field_error, get, sign_in};

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
        "/admin/records",
        "/admin/identity",
    ] {
        assert!(admin.iter().any(|h| h == href), "admin lacks {href}");
    }
    for href in [
        "/admin/audit",
        "/admin/stats",
        "/admin/exports",
        "/admin/import",
    ] {
        assert!(admin.iter().any(|h| h == href), "admin lacks {href}");
    }
    assert_eq!(
        city,
        [
            "/admin/transfers",
            "/admin/records",
            "/admin/contacts",
            "/admin/stats",
            "/admin/exports"
        ]
    );
    assert_eq!(
        point,
        [
            "/admin/identity",
            "/admin/identity/in-person",
            "/admin/exports"
        ]
    );
}

both_backends!(
    a_disabled_reason_leaves_the_candidate_form_at_once,
    a_closed_target_province_is_refused_at_create,
    counties_and_cities_change_without_breaking_candidates,
    windows_points_and_contacts_are_edited_with_messages,
    each_role_sees_only_its_menu,
);
