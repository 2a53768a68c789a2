//! Candidate accounts and staff sessions through the JSON API.

use chrono::Duration;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{Backend, TestApp, id_number};

fn new_candidate(id: &str) -> Value {
    json!({
        "name": "张伟", "id_number": id, "phone": "13912345678", "email": "zw@example.cn",
        "password": "Kaoshi#2026", "ethnicity": "汉族", "household": "城镇",
        "education": "普通高中", "occupation": "学生", "politics": "共青团员", "county": "140105"
    })
}

async fn register_new_then_login_reaches_only_identity(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let id = id_number("14010520000101123");

    let (status, body) = t
        .post_json("/api/v1/registrations/new", None, new_candidate(&id))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["identity_state"], "awaiting_identity");

    let token = t.login(&id.to_lowercase(), "Kaoshi#2026").await;
    let (status, me) = t.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(me["name"], "张伟");
    assert_eq!(me["id_number"], format!("1401**********{}", &id[14..]));
    assert_eq!(me["phone"], "139****5678");
    assert_eq!(me["gender"], "男");
    assert_eq!(me["county"], "小店区");
    assert_eq!(me["identity_state"], "awaiting_identity");
    assert!(
        !me.to_string().contains(&id),
        "the full 身份证号 never leaves the server"
    );

    let res = t
        .api()
        .put(t.url("/api/v1/me/password"))
        .bearer_auth(&token)
        .json(&json!({"current_password": "Kaoshi#2026", "new_password": "Kaoshi#2027"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        403,
        "awaiting identity reaches only the identity endpoints"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "identity_required");
}

async fn invalid_registration_names_every_field_and_saves_nothing(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let bad = json!({
        "name": "张", "id_number": "140105200001011234", "phone": "2391234567",
        "email": "no-at-sign", "password": "short", "ethnicity": "火星族", "household": "",
        "education": "", "occupation": "", "politics": "", "county": "110105"
    });

    let (status, body) = t.post_json("/api/v1/registrations/new", None, bad).await;

    assert_eq!(status, 422);
    assert_eq!(body["error"], "invalid_fields");
    let fields = body["fields"].as_object().unwrap();
    for f in [
        "name",
        "id_number",
        "phone",
        "email",
        "password",
        "ethnicity",
        "household",
        "education",
        "occupation",
        "politics",
        "county",
    ] {
        assert!(fields.contains_key(f), "missing message for {f}: {body}");
    }
    assert_eq!(
        fields["id_number"],
        "身份证号校验位不正确，请核对后重新输入"
    );
    assert_eq!(fields["county"], "请选择报名区县");
    assert_eq!(t.app.db.count_candidates().await.unwrap(), 0);
}

async fn the_same_person_cannot_register_twice(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let id = id_number("14010519950505224");
    let (status, _) = t
        .post_json("/api/v1/registrations/new", None, new_candidate(&id))
        .await;
    assert_eq!(status, 201);

    let (status, body) = t
        .post_json("/api/v1/registrations/new", None, new_candidate(&id))
        .await;

    assert_eq!(status, 422);
    assert!(
        body["fields"]["id_number"]
            .as_str()
            .unwrap()
            .contains("已注册")
    );
    assert_eq!(t.app.db.count_candidates().await.unwrap(), 1);
}

async fn enrolled_candidate_matches_records_then_sets_password(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let li = &demo.enrolled_without_account[0];
    let path = "/api/v1/registrations/enrolled";

    let (status, body) = t
        .post_json(
            path,
            None,
            json!({"id_number": li.id_number, "name": "李明"}),
        )
        .await;
    assert_eq!(status, 422, "wrong name: {body}");
    assert!(
        body["fields"]["id_number"]
            .as_str()
            .unwrap()
            .contains("未找到")
    );

    let (status, body) = t
        .post_json(
            path,
            None,
            json!({"id_number": li.id_number, "name": li.name}),
        )
        .await;
    assert_eq!((status, &body["matched"]), (200, &json!(true)));

    let weak = json!({"id_number": li.id_number, "name": li.name, "password": "password"});
    let (status, body) = t.post_json(path, None, weak).await;
    assert_eq!(status, 422);
    assert!(body["fields"]["password"].is_string());

    let good = json!({"id_number": li.id_number, "name": li.name, "password": "Zaiji@2026"});
    let (status, body) = t.post_json(path, None, good.clone()).await;
    assert_eq!(status, 201, "{body}");

    let (status, body) = t.post_json(path, None, good).await;
    assert_eq!(status, 422, "second registration refused");
    assert!(
        body["fields"]["id_number"]
            .as_str()
            .unwrap()
            .contains("请直接登录")
    );

    let token = t.login(li.ticket.as_deref().unwrap(), "Zaiji@2026").await;
    let (_, me) = t.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(me["ticket"], li.ticket.clone().unwrap());
    assert_eq!(me["kind"], "enrolled");
    assert_eq!(me["identity_state"], "awaiting_identity");
}

async fn a_new_candidate_with_an_exam_record_is_sent_to_the_enrolled_path(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let li = &demo.enrolled_without_account[0];

    let (status, body) = t
        .post_json(
            "/api/v1/registrations/new",
            None,
            new_candidate(&li.id_number),
        )
        .await;

    assert_eq!(status, 422);
    assert!(
        body["fields"]["id_number"]
            .as_str()
            .unwrap()
            .contains("在籍考生")
    );
}

async fn five_failures_lock_the_login_with_a_doubling_wait(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let ticket = c.ticket.as_deref().unwrap();
    let wrong = json!({"login": ticket, "password": "Wrong#1234"});

    for i in 1..=4 {
        let (status, body) = t.post_json("/api/v1/session", None, wrong.clone()).await;
        assert_eq!(status, 401, "failure {i}: {body}");
    }
    let res = t
        .api()
        .post(t.url("/api/v1/session"))
        .json(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "60");
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("1分钟"),
        "{body}"
    );

    let right = json!({"login": ticket, "password": c.password});
    let (status, _) = t.post_json("/api/v1/session", None, right.clone()).await;
    assert_eq!(status, 429, "even the right password waits");

    t.clock.advance(Duration::seconds(61));
    let res = t
        .api()
        .post(t.url("/api/v1/session"))
        .json(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429, "the sixth failure doubles the wait");
    assert_eq!(res.headers()["retry-after"], "120");

    t.clock.advance(Duration::seconds(121));
    let (status, _) = t.post_json("/api/v1/session", None, right).await;
    assert_eq!(status, 200);

    // Unknown logins are counted the same way, so the wait reveals nothing.
    let ghost = json!({"login": "140119999999", "password": "Wrong#1234"});
    for _ in 1..=4 {
        assert_eq!(
            t.post_json("/api/v1/session", None, ghost.clone()).await.0,
            401
        );
    }
    assert_eq!(t.post_json("/api/v1/session", None, ghost).await.0, 429);
}

async fn changing_the_password_ends_the_other_sessions(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let pw = c.password.as_deref().unwrap();
    let phone = t.login(&c.id_number, pw).await;
    let laptop = t.login(c.ticket.as_deref().unwrap(), pw).await;

    let bad = json!({"current_password": "Nope#1234", "new_password": "Xinmima#2026"});
    let res = t
        .api()
        .put(t.url("/api/v1/me/password"))
        .bearer_auth(&phone)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    let good = json!({"current_password": pw, "new_password": "Xinmima#2026"});
    let res = t
        .api()
        .put(t.url("/api/v1/me/password"))
        .bearer_auth(&phone)
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    assert_eq!(t.get_json("/api/v1/me", Some(&phone)).await.0, 200);
    assert_eq!(t.get_json("/api/v1/me", Some(&laptop)).await.0, 401);
    let old = json!({"login": c.id_number, "password": pw});
    assert_eq!(t.post_json("/api/v1/session", None, old).await.0, 401);
    t.login(&c.id_number, "Xinmima#2026").await;
}

async fn sessions_end_when_idle_or_old_and_at_logout(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let pw = c.password.as_deref().unwrap();

    let idle = t.login(&c.id_number, pw).await;
    t.clock.advance(Duration::minutes(29));
    assert_eq!(
        t.get_json("/api/v1/me", Some(&idle)).await.0,
        200,
        "activity renews"
    );
    t.clock.advance(Duration::minutes(29));
    assert_eq!(t.get_json("/api/v1/me", Some(&idle)).await.0, 200);
    t.clock.advance(Duration::minutes(31));
    assert_eq!(
        t.get_json("/api/v1/me", Some(&idle)).await.0,
        401,
        "30 minutes idle"
    );

    let busy = t.login(&c.id_number, pw).await;
    for _ in 0..(12 * 3 - 1) {
        t.clock.advance(Duration::minutes(20));
        assert_eq!(t.get_json("/api/v1/me", Some(&busy)).await.0, 200);
    }
    t.clock.advance(Duration::minutes(20));
    assert_eq!(
        t.get_json("/api/v1/me", Some(&busy)).await.0,
        401,
        "12 hours at most"
    );

    let token = t.login(&c.id_number, pw).await;
    let res = t
        .api()
        .delete(t.url("/api/v1/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (status, body) = t.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(status, 401, "a token is dead after logout");
    assert_eq!(body["message"], "请先登录");
}

fn totp_code(secret: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let t =
        totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap();
    t.generate(at.timestamp() as u64)
}

async fn staff_login_needs_the_second_factor_for_admins(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let admin = demo
        .staff
        .iter()
        .find(|s| s.role == "province_admin")
        .unwrap();
    let city = demo.staff.iter().find(|s| s.role == "city_office").unwrap();
    let path = "/api/v1/staff/session";

    let (status, body) = t
        .post_json(
            path,
            None,
            json!({"username": admin.username, "password": admin.password}),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "totp_required");

    let code = totp_code(
        admin.totp_secret.as_deref().unwrap(),
        zikao::clock::Clock::now(&*t.clock),
    );
    let login = json!({"username": admin.username, "password": admin.password, "totp": code});
    let (status, body) = t.post_json(path, None, login.clone()).await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let (_, me) = t.get_json("/api/v1/staff/me", Some(&token)).await;
    assert_eq!(me["role"], "province_admin");

    let (status, _) = t.post_json(path, None, login).await;
    assert_eq!(status, 401, "a code works once");

    let (status, body) = t
        .post_json(
            path,
            None,
            json!({"username": city.username, "password": city.password}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, me) = t
        .get_json("/api/v1/staff/me", Some(body["token"].as_str().unwrap()))
        .await;
    assert_eq!(me["city"], city.city.clone().unwrap());
    assert_eq!(me["scope_label"], "太原市");

    let (_, cand) = t
        .get_json("/api/v1/me", Some(body["token"].as_str().unwrap()))
        .await;
    assert_eq!(
        cand["error"], "unauthenticated",
        "a staff token is not a candidate's"
    );
}

async fn catalog_and_openapi_describe_the_platform(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    t.demo().await;

    let (status, windows) = t.get_json("/api/v1/windows", None).await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = windows
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["theory", "transfer", "exemption", "practical", "graduation"]
    );
    assert_eq!(windows[1]["status"], "open");
    assert_eq!(windows[2]["status"], "not_started");
    assert_eq!(windows[3]["status"], "closed");
    assert!(windows[1]["start"].as_str().unwrap().ends_with("+08:00"));

    let (_, reasons) = t.get_json("/api/v1/transfer-outs/reasons", None).await;
    assert!(
        reasons
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "other" && r["name"] == "其他")
    );

    let (_, lists) = t.get_json("/api/v1/lists", None).await;
    assert_eq!(lists["cities"].as_array().unwrap().len(), 11);
    assert_eq!(lists["ethnicities"].as_array().unwrap().len(), 56);

    let (status, doc) = t.get_json("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    for path in [
        "/api/v1/registrations/new",
        "/api/v1/registrations/enrolled",
        "/api/v1/session",
        "/api/v1/me",
        "/api/v1/windows",
        "/api/v1/transfer-outs/reasons",
        "/api/v1/staff/session",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }

    let (status, body) = t.get_json("/api/v1/nothing-here", None).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
}

both_backends!(
    register_new_then_login_reaches_only_identity,
    invalid_registration_names_every_field_and_saves_nothing,
    the_same_person_cannot_register_twice,
    enrolled_candidate_matches_records_then_sets_password,
    a_new_candidate_with_an_exam_record_is_sent_to_the_enrolled_path,
    five_failures_lock_the_login_with_a_doubling_wait,
    changing_the_password_ends_the_other_sessions,
    sessions_end_when_idle_or_old_and_at_logout,
    staff_login_needs_the_second_factor_for_admins,
    catalog_and_openapi_describe_the_platform,
);
