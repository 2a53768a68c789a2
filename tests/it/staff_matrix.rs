//! Every staff route with every role: allowed, or 403, 404 or back to the staff
//! login as designed. The routes are one table; a new route is one more row.

use std::collections::HashMap;

use reqwest::Client;
use serde_json::{Value, json};
use zikao::service::demo::DemoAccounts;

use crate::both_backends;
use crate::fixtures;
use crate::harness::{Backend, TestApp};
use crate::pages::{get, post, sign_in};

/// What a role gets from a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Served: a page, a redirect elsewhere than the login, or a form refused
    /// for its content (the role passed).
    Allowed,
    Forbidden,
    NotFound,
    /// Pages: back to the staff login. API: 401.
    Login,
}
use Expect::{Allowed as A, Forbidden as F, Login as L, NotFound as N};

/// The roles, in the order of the table's columns.
const ROLES: [&str; 6] = [
    "province_admin",
    "taiyuan",
    "datong",
    "registration_point",
    "candidate",
    "nobody",
];

/// (method, path, form fields, expectations per role in the order of [`ROLES`]).
/// POST /admin/login and /admin/logout are open to everyone and left out, as
/// the sign-ins and sign-outs of the other tests cover them.
/// `{ty}` is a 太原 application, `{file}` one of its images, `{victim}` a staff
/// account made for the test, `{notice}` an announcement, `{cand}` the 太原
/// candidate's account.
type PageRow = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    [Expect; 6],
);

#[rustfmt::skip]
const PAGES: &[PageRow] = &[
    ("GET", "/admin", &[], [A, A, A, A, A, A]),
    ("GET", "/admin/home", &[], [A, A, A, A, L, L]),
    ("GET", "/admin/totp", &[], [L, L, L, L, L, L]),
    ("POST", "/admin/totp", &[("totp", "")], [L, L, L, L, L, L]),
    ("GET", "/admin/staff", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/staff", &[("username", "")], [A, F, F, F, L, L]),
    ("GET", "/admin/staff/{victim}", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/staff/{victim}/scope", &[("role", "city_office"), ("city", "1401")], [A, F, F, F, L, L]),
    ("POST", "/admin/staff/{victim}/disable", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/staff/{victim}/enable", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/staff/{victim}/reset-totp", &[], [A, F, F, F, L, L]),
    ("GET", "/admin/windows", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/windows/exemption", &[("start", "2026-12-01T08:00"), ("end", "2026-12-20T18:00")], [A, F, F, F, L, L]),
    ("GET", "/admin/lists/reasons", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/lists/reasons", &[("code", ""), ("name", "")], [A, F, F, F, L, L]),
    ("POST", "/admin/lists/reasons/other", &[("name", "其他"), ("enabled", "1")], [A, F, F, F, L, L]),
    ("GET", "/admin/lists/provinces", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/lists/provinces/11", &[("enabled", "1")], [A, F, F, F, L, L]),
    ("GET", "/admin/lists/cities", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/lists/cities", &[("code", ""), ("name", "")], [A, F, F, F, L, L]),
    ("GET", "/admin/lists/cities/1401", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/lists/cities/1401", &[("name", "太原市"), ("enabled", "1")], [A, F, F, F, L, L]),
    ("POST", "/admin/lists/counties", &[("code", "1401"), ("name", "")], [A, F, F, F, L, L]),
    ("POST", "/admin/lists/counties/140105", &[("name", "小店区"), ("enabled", "1")], [A, F, F, F, L, L]),
    ("GET", "/admin/points", &[], [A, F, F, F, L, L]),
    ("GET", "/admin/points/new", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/points/new", &[("county", ""), ("name", "")], [A, F, F, F, L, L]),
    ("GET", "/admin/points/140105", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/points/140105", &[("name", "太原市小店区自学考试报名点"), ("address", "太原市小店区示例路2号"), ("phone", "0351-1234567")], [A, F, F, F, L, L]),
    ("GET", "/admin/contacts", &[], [A, A, A, F, L, L]),
    ("POST", "/admin/contacts/1401", &[("office", "太原市自考办"), ("address", ""), ("phone", "0351-7654321")], [A, A, F, F, L, L]),
    ("POST", "/admin/contacts/1402", &[("office", "大同市自考办"), ("address", ""), ("phone", "0352-7654321")], [A, F, A, F, L, L]),
    ("GET", "/admin/announcements", &[], [A, F, F, F, L, L]),
    ("GET", "/admin/announcements/new", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/announcements/new", &[("kind", ""), ("title", "")], [A, F, F, F, L, L]),
    ("GET", "/admin/announcements/{notice}", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/announcements/{notice}", &[("kind", "notice"), ("title", "考试安排"), ("body", "正文")], [A, F, F, F, L, L]),
    ("POST", "/admin/announcements/{notice}/unpublish", &[], [A, F, F, F, L, L]),
    ("GET", "/admin/audit", &[], [A, F, F, F, L, L]),
    ("GET", "/admin/audit?actor=admin&kind=staff", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/audit/verify", &[], [A, F, F, F, L, L]),
    ("GET", "/admin/exports", &[], [A, A, A, A, L, L]),
    ("GET", "/admin/exports/transfers.csv", &[], [A, A, A, F, L, L]),
    ("GET", "/admin/exports/transfers.xlsx?city=1402", &[], [A, A, A, F, L, L]),
    ("GET", "/admin/exports/identity-reviews.csv", &[], [A, F, F, A, L, L]),
    ("GET", "/admin/exports/identity-reviews.xlsx", &[], [A, F, F, A, L, L]),
    ("GET", "/admin/exports/nothing.csv", &[], [N, N, N, N, L, L]),
    ("GET", "/admin/stats", &[], [A, A, A, F, L, L]),
    ("GET", "/admin/import", &[], [A, F, F, F, L, L]),
    ("POST", "/admin/import", &[("kind", "courses")], [A, F, F, F, L, L]),
    ("POST", "/admin/import/apply", &[("kind", "courses"), ("upload", "0123456789abcdef0123456789abcdef")], [A, F, F, F, L, L]),
    ("GET", "/admin/transfers", &[], [A, A, A, F, L, L]),
    ("GET", "/admin/transfers/{ty}", &[], [A, A, N, N, L, L]),
    ("GET", "/admin/transfers/{ty}/files/{file}", &[], [A, A, N, N, L, L]),
    ("GET", "/admin/transfers/{ty}/form.pdf", &[], [A, A, N, N, L, L]),
    ("POST", "/admin/transfers/{ty}/decision", &[("decision", "")], [A, A, N, N, L, L]),
    ("GET", "/admin/records", &[], [A, A, A, F, L, L]),
    ("POST", "/admin/records", &[("q", "")], [A, A, A, F, L, L]),
    ("GET", "/admin/records/{cand}", &[], [A, A, N, F, L, L]),
    ("POST", "/admin/records/{cand}", &[("name", ""), ("id_number", ""), ("reason", "")], [A, A, N, F, L, L]),
    ("GET", "/admin/records/nobody", &[], [N, N, N, F, L, L]),
    ("GET", "/admin/identity", &[], [A, F, F, A, L, L]),
    ("GET", "/admin/identity/in-person", &[], [A, F, F, A, L, L]),
    ("POST", "/admin/identity/in-person", &[("id_number", "")], [A, F, F, A, L, L]),
    ("POST", "/admin/identity/in-person/nobody", &[], [N, F, F, N, L, L]),
    ("GET", "/admin/identity/nobody", &[], [N, F, F, N, L, L]),
    ("POST", "/admin/identity/nobody/decision", &[("decision", "approve")], [N, F, F, N, L, L]),
    ("GET", "/admin/identity/nobody/photos/portrait", &[], [N, F, F, N, L, L]),
];

/// (method, path, JSON body, expectations) of the staff API. Bodies are well
/// formed, so the answer is the role's: approving a draft is a 409 for a
/// reviewer who may see it, and changes nothing.
type ApiRow = (
    &'static str,
    &'static str,
    Option<&'static str>,
    [Expect; 6],
);

#[rustfmt::skip]
const API: &[ApiRow] = &[
    ("GET", "/api/v1/staff/me", None, [A, A, A, A, L, L]),
    ("GET", "/api/v1/staff/transfer-outs", None, [A, A, A, F, L, L]),
    ("GET", "/api/v1/staff/transfer-outs/{ty}", None, [A, A, N, N, L, L]),
    ("GET", "/api/v1/staff/transfer-outs/{ty}/files/{file}", None, [A, A, N, N, L, L]),
    ("GET", "/api/v1/staff/transfer-outs/{ty}/form.pdf", None, [A, A, N, N, L, L]),
    ("POST", "/api/v1/staff/transfer-outs/{ty}/decision", Some(r#"{"decision":"approve"}"#), [A, A, N, N, L, L]),
    ("POST", "/api/v1/staff/candidates/search", Some(r#"{"q":""}"#), [A, A, A, F, L, L]),
    ("GET", "/api/v1/staff/candidates/{cand}/record", None, [A, A, N, F, L, L]),
    ("PUT", "/api/v1/staff/candidates/{cand}/record", Some(r#"{"name":"","id_number":"","reason":""}"#), [A, A, N, F, L, L]),
    ("GET", "/api/v1/staff/candidates/nobody/record", None, [N, N, N, F, L, L]),
    ("GET", "/api/v1/staff/identity-reviews", None, [A, F, F, A, L, L]),
    ("GET", "/api/v1/staff/identity-reviews/nobody/photos/portrait", None, [N, F, F, N, L, L]),
    ("POST", "/api/v1/staff/identity-reviews/nobody/decision", Some(r#"{"decision":"approve"}"#), [N, F, F, N, L, L]),
    ("POST", "/api/v1/staff/identity-in-person/search", Some(r#"{"id_number":""}"#), [A, F, F, A, L, L]),
    ("POST", "/api/v1/staff/identity-in-person/nobody", Some(r#"{"card_checked":true}"#), [N, F, F, N, L, L]),
];

fn page_outcome(status: u16, location: &str) -> Expect {
    match status {
        403 => Expect::Forbidden,
        404 => Expect::NotFound,
        303 | 302 if location == "/admin" => Expect::Login,
        _ => Expect::Allowed,
    }
}

fn api_outcome(status: u16) -> Expect {
    match status {
        401 => Expect::Login,
        403 => Expect::Forbidden,
        404 => Expect::NotFound,
        _ => Expect::Allowed,
    }
}

fn totp_code(t: &TestApp, secret: &str) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp =
        totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap();
    totp.generate(zikao::clock::Clock::now(&*t.clock).timestamp() as u64)
}

/// Signs a staff member in on the pages.
async fn staff_browser(t: &TestApp, demo: &DemoAccounts, username: &str) -> Client {
    let s = demo.staff.iter().find(|s| s.username == username).unwrap();
    let b = t.browser();
    let form = get(t, &b, "/admin").await;
    let code = s
        .totp_secret
        .as_deref()
        .map(|x| totp_code(t, x))
        .unwrap_or_default();
    let res = post(
        t,
        &b,
        "/admin/login",
        &[
            ("csrf", &form.csrf()),
            ("username", &s.username),
            ("password", &s.password),
            ("totp", &code),
        ],
    )
    .await;
    assert_eq!(res.location(), "/admin/home", "{username}: {}", res.html);
    b
}

/// A staff member's API token.
async fn staff_token(t: &TestApp, demo: &DemoAccounts, username: &str) -> String {
    let s = demo.staff.iter().find(|s| s.username == username).unwrap();
    let mut body = json!({"username": s.username, "password": s.password});
    if let Some(secret) = &s.totp_secret {
        // The page sign-in used this step's code already: the next one.
        t.clock.advance(chrono::Duration::seconds(30));
        body["totp"] = json!(totp_code(t, secret));
    }
    let (status, res) = t.post_json("/api/v1/staff/session", None, body).await;
    assert_eq!(status, 200, "{username}: {res}");
    res["token"].as_str().unwrap().to_owned()
}

/// A 太原 draft with one image: its id and the image's file id.
async fn taiyuan_application(t: &TestApp, token: &str) -> (String, String) {
    let form = json!({"target_province": "41", "reason": "work_relocation", "target_ticket": "410119000001"});
    let (status, body) = t
        .post_json("/api/v1/transfer-outs", Some(token), form)
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let res = t
        .api()
        .put(t.url(&format!("/api/v1/transfer-outs/{id}/materials/id_card")))
        .bearer_auth(token)
        .header("content-type", "image/jpeg")
        .body(fixtures::standard())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let (_, view) = t
        .get_json(&format!("/api/v1/transfer-outs/{id}"), Some(token))
        .await;
    let file = view["materials"][0]["file_id"].as_str().unwrap().to_owned();
    (id, file)
}

fn fill(path: &str, ids: &HashMap<&str, String>) -> String {
    ids.iter().fold(path.to_owned(), |p, (k, v)| {
        p.replace(&format!("{{{k}}}"), v)
    })
}

async fn every_staff_route_with_every_role(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let candidate = &demo.candidates[0];
    let candidate_token = t
        .login(&candidate.id_number, candidate.password.as_deref().unwrap())
        .await;
    let (ty, file) = taiyuan_application(&t, &candidate_token).await;

    let admin = staff_browser(&t, &demo, "admin").await;
    let home = get(&t, &admin, "/admin/staff").await;
    let created = post(
        &t,
        &admin,
        "/admin/staff",
        &[
            ("csrf", &home.csrf()),
            ("username", "victim"),
            ("password", "Victim#2026x"),
            ("role", "city_office"),
            ("city", "1403"),
        ],
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.html);
    let victim = t
        .app
        .db
        .staff_by_username("victim")
        .await
        .unwrap()
        .unwrap()
        .id;
    let new = get(&t, &admin, "/admin/announcements/new").await;
    let made = post(
        &t,
        &admin,
        "/admin/announcements/new",
        &[
            ("csrf", &new.csrf()),
            ("kind", "notice"),
            ("title", "考试安排"),
            ("body", "正文"),
        ],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let notice = t.app.db.all_announcements().await.unwrap()[0].id.clone();
    let cand = t
        .app
        .db
        .candidate_by_id_number(&t.app.keys.blind_index("id_number", &candidate.id_number))
        .await
        .unwrap()
        .unwrap()
        .id;
    let ids: HashMap<&str, String> = [
        ("ty", ty),
        ("file", file),
        ("victim", victim),
        ("notice", notice),
        ("cand", cand),
    ]
    .into();

    let candidate_browser = t.browser();
    let signed = sign_in(
        &t,
        &candidate_browser,
        &candidate.id_number,
        candidate.password.as_deref().unwrap(),
    )
    .await;
    assert_eq!(signed.status, 303);
    let browsers = [
        admin,
        staff_browser(&t, &demo, "taiyuan").await,
        staff_browser(&t, &demo, "datong").await,
        staff_browser(&t, &demo, "xiaodian").await,
        candidate_browser,
        t.browser(),
    ];
    let mut wrong = vec![];
    for (method, path, fields, expected) in PAGES {
        let path = fill(path, &ids);
        for ((role, b), want) in ROLES.iter().zip(&browsers).zip(expected) {
            let res = if *method == "GET" {
                get(&t, b, &path).await
            } else {
                // A token bound to this browser's session, from a page it may see.
                let csrf = get(&t, b, "/admin").await;
                let token = if csrf.status == 200 {
                    csrf.csrf()
                } else {
                    get(&t, b, "/admin/home").await.csrf()
                };
                let mut form = vec![("csrf", token.as_str())];
                form.extend_from_slice(fields);
                post(&t, b, &path, &form).await
            };
            let got = page_outcome(res.status, res.location());
            if got != *want {
                wrong.push(format!(
                    "{method} {path} as {role}: {} → {got:?}, want {want:?}",
                    res.status
                ));
            }
        }
    }

    let tokens = [
        Some(staff_token(&t, &demo, "admin").await),
        Some(staff_token(&t, &demo, "taiyuan").await),
        Some(staff_token(&t, &demo, "datong").await),
        Some(staff_token(&t, &demo, "xiaodian").await),
        Some(candidate_token),
        None,
    ];
    for (method, path, body, expected) in API {
        let path = fill(path, &ids);
        for ((role, token), want) in ROLES.iter().zip(&tokens).zip(expected) {
            let mut req = match *method {
                "GET" => t.api().get(t.url(&path)),
                "PUT" => t
                    .api()
                    .put(t.url(&path))
                    .header("content-type", "application/json")
                    .body(body.unwrap_or("{}")),
                _ => t
                    .api()
                    .post(t.url(&path))
                    .header("content-type", "application/json")
                    .body(body.unwrap_or("{}")),
            };
            if let Some(token) = token {
                req = req.bearer_auth(token);
            }
            let status = req.send().await.unwrap().status().as_u16();
            let got = api_outcome(status);
            if got != *want {
                wrong.push(format!(
                    "{method} {path} as {role}: {status} → {got:?}, want {want:?}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "unexpected answers:\n{}",
        wrong.join("\n")
    );
}

async fn a_datong_reviewer_cannot_open_a_taiyuan_application(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let candidate = &demo.candidates[0];
    let token = t
        .login(&candidate.id_number, candidate.password.as_deref().unwrap())
        .await;
    let (ty, file) = taiyuan_application(&t, &token).await;
    let datong = staff_browser(&t, &demo, "datong").await;
    let taiyuan = staff_browser(&t, &demo, "taiyuan").await;

    for path in [
        format!("/admin/transfers/{ty}"),
        format!("/admin/transfers/{ty}/files/{file}"),
        format!("/admin/transfers/{ty}/form.pdf"),
    ] {
        let refused = get(&t, &datong, &path).await;
        assert_eq!(refused.status, 404, "{path}");
        assert!(
            !refused.html.contains(&candidate.name),
            "{path} shows nothing of the candidate"
        );
        let own = get(&t, &taiyuan, &path).await;
        assert!(matches!(own.status, 200 | 409), "{path}: {}", own.status);
    }
    let queue = get(&t, &datong, "/admin/transfers?state=draft").await;
    assert!(!queue.html.contains(&ty));
    let (status, body): (u16, Value) = {
        let datong_token = staff_token(&t, &demo, "datong").await;
        t.get_json(
            &format!("/api/v1/staff/transfer-outs/{ty}"),
            Some(&datong_token),
        )
        .await
    };
    assert_eq!(status, 404, "{body}");
}

both_backends!(
    every_staff_route_with_every_role,
    a_datong_reviewer_cannot_open_a_taiyuan_application
);
