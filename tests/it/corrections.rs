//! Record correction by the city office (DESIGN §4.9): 姓名 and 身份证号 of a
//! candidate of the office's city, with a reason, audited and told; every
//! other office is refused and nothing changes.

use serde_json::{Value, json};
use zikao::service::demo::DemoAccounts;
use zikao::storage::AuditFilter;

use crate::admin_console::signed_in;
use crate::both_backends;
use crate::harness::{Backend, TestApp, id_number, text_of};
use crate::pages::{get, post};
use crate::transfer_api::notices;

/// A staff member's API token (city offices and points sign in without TOTP).
async fn staff_token(t: &TestApp, demo: &DemoAccounts, username: &str) -> String {
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

async fn put_record(t: &TestApp, token: &str, candidate_id: &str, body: Value) -> (u16, Value) {
    let res = t
        .api()
        .put(t.url(&format!("/api/v1/staff/candidates/{candidate_id}/record")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn search(t: &TestApp, token: &str, q: &str) -> (u16, Value) {
    t.post_json(
        "/api/v1/staff/candidates/search",
        Some(token),
        json!({"q": q}),
    )
    .await
}

async fn corrections_count(t: &TestApp) -> i64 {
    let filter = AuditFilter {
        action_prefix: Some("candidate.correct_record".into()),
        ..AuditFilter::default()
    };
    t.app.db.audit_page(&filter, 10, 0).await.unwrap().1
}

async fn the_city_office_corrects_name_and_id_number(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let password = c.password.as_deref().unwrap();
    let office = staff_token(&t, &demo, "taiyuan").await;

    let (status, found) = search(&t, &office, &c.id_number).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["name"], c.name.as_str());
    assert_eq!(found["id_number"], c.id_number.as_str());
    let candidate_id = found["candidate_id"].as_str().unwrap().to_owned();
    let ticket = c.ticket.as_deref().unwrap();
    let (_, by_ticket) = search(&t, &office, ticket).await;
    assert_eq!(by_ticket["candidate_id"], candidate_id.as_str());

    // Born 1995-03-08, a woman (the 17th digit is even).
    let new_id = id_number("14010519950308002");
    let (status, after) = put_record(
        &t,
        &office,
        &candidate_id,
        json!({"name": "李更正", "id_number": new_id, "reason": "考生现场出示身份证原件，原录入有误"}),
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["name"], "李更正");
    assert_eq!(after["birth_date"], "1995-03-08");
    assert_eq!(after["gender"], "女");
    assert_eq!(after["ticket"], ticket);

    // The login follows the number: the old one no longer signs in.
    let (status, _) = t
        .post_json(
            "/api/v1/session",
            None,
            json!({"login": c.id_number, "password": password}),
        )
        .await;
    assert_eq!(status, 401);
    let token = t.login(&new_id, password).await;
    let (_, me) = t.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(me["name"], "李更正", "{me}");
    assert_eq!(me["birth_date"], "1995-03-08", "{me}");
    // The 准考证号 still signs in, and the exam record carries the new name.
    t.login(ticket, password).await;
    let (_, again) = search(&t, &office, ticket).await;
    assert_eq!(again["name"], "李更正");
    assert_eq!(again["id_number"], new_id.as_str());

    let told = notices(&t, &token).await;
    assert!(
        told.iter()
            .any(|n| n.contains("姓名、身份证号") && n.contains("考生现场出示身份证原件")),
        "{told:?}"
    );

    // Audited once, with the personal data sealed.
    assert_eq!(corrections_count(&t).await, 1);
    let filter = AuditFilter {
        action_prefix: Some("candidate.correct_record".into()),
        ..AuditFilter::default()
    };
    let (rows, _) = t.app.db.audit_page(&filter, 10, 0).await.unwrap();
    let row = format!("{:?}", rows[0]);
    assert!(
        !row.contains(&new_id) && !row.contains(&c.id_number),
        "{row}"
    );
    assert!(row.contains(&candidate_id));
}

async fn other_offices_cannot_find_or_correct(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let taiyuan = staff_token(&t, &demo, "taiyuan").await;
    let (_, found) = search(&t, &taiyuan, &c.id_number).await;
    let candidate_id = found["candidate_id"].as_str().unwrap().to_owned();
    let correction =
        json!({"name": "王冒名", "id_number": id_number("14010519900101001"), "reason": "冒改"});

    // Another city's office: not found, whichever way it asks.
    let datong = staff_token(&t, &demo, "datong").await;
    let (status, body) = search(&t, &datong, &c.id_number).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["fields"]["q"], "本辖区内没有该考生的账号");
    let (status, _) = t
        .get_json(
            &format!("/api/v1/staff/candidates/{candidate_id}/record"),
            Some(&datong),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = put_record(&t, &datong, &candidate_id, correction.clone()).await;
    assert_eq!(status, 404);

    // A registration point: not its work at all.
    let point = staff_token(&t, &demo, "xiaodian").await;
    let (status, body) = search(&t, &point, &c.id_number).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = put_record(&t, &point, &candidate_id, correction.clone()).await;
    assert_eq!(status, 403);

    // A candidate's token is not a staff token.
    let own = t.login(&c.id_number, c.password.as_deref().unwrap()).await;
    let (status, _) = put_record(&t, &own, &candidate_id, correction).await;
    assert_eq!(status, 401);

    let (_, unchanged) = search(&t, &taiyuan, &c.id_number).await;
    assert_eq!(unchanged["name"], c.name.as_str());
    assert_eq!(corrections_count(&t).await, 0);
}

async fn invalid_corrections_name_their_fields_and_change_nothing(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let office = staff_token(&t, &demo, "taiyuan").await;
    let (_, found) = search(&t, &office, &c.id_number).await;
    let candidate_id = found["candidate_id"].as_str().unwrap().to_owned();

    let (status, body) = search(&t, &office, "12345").await;
    assert_eq!(status, 422);
    assert_eq!(
        body["fields"]["q"],
        "请输入正确的18位身份证号或12位准考证号"
    );

    let (status, body) = put_record(
        &t,
        &office,
        &candidate_id,
        json!({"name": "", "id_number": "140105199001011234", "reason": ""}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let fields = body["fields"].as_object().unwrap();
    for f in ["name", "id_number", "reason"] {
        assert!(fields.contains_key(f), "{f}: {body}");
    }

    let long = "因".repeat(201);
    let (status, body) = put_record(
        &t,
        &office,
        &candidate_id,
        json!({"name": "李更正", "id_number": c.id_number, "reason": long}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["fields"]["reason"], "更正依据不能超过200字");

    // Another candidate's number is theirs.
    let other = &demo.candidates[1];
    let (status, body) = put_record(
        &t,
        &office,
        &candidate_id,
        json!({"name": "李更正", "id_number": other.id_number, "reason": "核对证件"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["fields"]["id_number"],
        "该身份证号已被其他考生账号使用，请核实"
    );

    let (status, body) = put_record(
        &t,
        &office,
        &candidate_id,
        json!({"name": c.name, "id_number": c.id_number, "reason": "核对证件"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");

    let (_, unchanged) = search(&t, &office, &c.id_number).await;
    assert_eq!(unchanged["name"], c.name.as_str());
    t.login(&c.id_number, c.password.as_deref().unwrap()).await;
    assert_eq!(corrections_count(&t).await, 0);
}

async fn the_pages_find_and_correct_without_the_number_in_an_address(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let b = signed_in(&t, &demo, "taiyuan").await;

    let form = get(&t, &b, "/admin/records").await;
    assert_eq!(form.status, 200);
    let wrong = post(
        &t,
        &b,
        "/admin/records",
        &[("csrf", &form.csrf()), ("q", "140105")],
    )
    .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong
            .html
            .contains("请输入正确的18位身份证号或12位准考证号")
    );

    let found = post(
        &t,
        &b,
        "/admin/records",
        &[("csrf", &form.csrf()), ("q", &c.id_number)],
    )
    .await;
    assert_eq!(found.status, 303, "{}", found.html);
    let record = found.location().to_owned();
    assert!(record.starts_with("/admin/records/"));
    assert!(!record.contains(&c.id_number));

    let page = get(&t, &b, &record).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains(&c.name));
    let bad = post(
        &t,
        &b,
        &record,
        &[
            ("csrf", &page.csrf()),
            ("name", "李更正"),
            ("id_number", &c.id_number),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("请填写更正依据"), "{}", bad.html);
    // What was typed stays in the form.
    assert!(bad.html.contains("value=\"李更正\""), "{}", bad.html);

    let done = post(
        &t,
        &b,
        &record,
        &[
            ("csrf", &page.csrf()),
            ("name", "李更正"),
            ("id_number", &c.id_number),
            ("reason", "考生出示户口簿，姓名已变更"),
        ],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let after = get(&t, &b, done.location()).await;
    assert!(after.html.contains("已更正并通知考生"), "{}", after.html);
    assert_eq!(
        text_of(&after.html, "h1").as_deref(),
        Some("考生信息更正：李更正")
    );

    let token = t.login(&c.id_number, c.password.as_deref().unwrap()).await;
    let told = notices(&t, &token).await;
    assert!(told.iter().any(|n| n.contains("您的姓名")), "{told:?}");
}

both_backends!(
    the_city_office_corrects_name_and_id_number,
    other_offices_cannot_find_or_correct,
    invalid_corrections_name_their_fields_and_change_nothing,
    the_pages_find_and_correct_without_the_number_in_an_address,
);
