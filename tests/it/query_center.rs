//! 查询中心: passed results, the latest session's scores, the plan with its
//! progress and the admission ticket PDF, each shown only to its own candidate
//! and saying plainly when there is nothing to show.

use std::collections::BTreeSet;

use reqwest::Client;
use scraper::{Html, Selector};
use zikao::service::ImportKind;
use zikao::service::demo::DemoCandidate;

use crate::both_backends;
use crate::harness::{Backend, TestApp, text_of};
use crate::pages::{get, sign_in};
use crate::records_import::import;

async fn browser(t: &TestApp, c: &DemoCandidate) -> Client {
    let b = t.browser();
    let res = sign_in(t, &b, &c.id_number, c.password.as_deref().unwrap()).await;
    assert_eq!(res.status, 303, "{}", res.html);
    b
}

/// The first cell of every body row of the table `#id`.
fn first_cells(html: &str, id: &str, column: usize) -> Vec<String> {
    let doc = Html::parse_document(html);
    let rows = Selector::parse(&format!("#{id} tbody tr")).unwrap();
    let cells = Selector::parse("td").unwrap();
    doc.select(&rows)
        .map(|r| {
            r.select(&cells)
                .nth(column)
                .map(|c| c.text().collect::<String>().trim().to_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// Gives 王晓明 and 陈静 one more passed course each, a different one.
async fn import_extra_passes(t: &TestApp) {
    let csv = "准考证号,课程代码,成绩,考试年月\n\
               140119100001,00161,77,2026-04\n\
               140219100002,00159,88,2026-04\n";
    let r = import(t, ImportKind::Results, csv.as_bytes()).await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

async fn passed_results_are_exactly_the_own_ones(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    import_extra_passes(&t).await;
    let (wang, chen) = (&demo.candidates[0], &demo.candidates[1]);

    for (c, own, other) in [(wang, "00161", "00159"), (chen, "00159", "00161")] {
        let b = browser(&t, c).await;
        let page = get(&t, &b, "/query/passed-results").await;
        assert_eq!(page.status, 200);
        let shown: Vec<String> = first_cells(&page.html, "passed", 1);
        let ticket = c.ticket.as_deref().unwrap();
        let stored: Vec<String> = t
            .app
            .db
            .passed_courses(ticket)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.code)
            .collect();
        assert_eq!(shown, stored, "{}: every passed course, in order", c.name);
        assert!(shown.contains(&own.to_owned()));
        assert!(!shown.contains(&other.to_owned()), "not another's result");

        let token = t.login(&c.id_number, c.password.as_deref().unwrap()).await;
        let (status, body) = t.get_json("/api/v1/me/results", Some(&token)).await;
        assert_eq!(status, 200);
        let api: Vec<&str> = body["courses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_str().unwrap())
            .collect();
        assert_eq!(api, stored);
        assert_eq!(body["ticket"], ticket);
    }

    let (status, _) = t.get_json("/api/v1/me/results", None).await;
    assert_eq!(status, 401);
    let anonymous = get(&t, &t.browser(), "/query/passed-results").await;
    assert_ne!(anonymous.status, 200);
}

async fn the_latest_session_shows_failed_scores_and_says_when_none(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let (wang, chen) = (&demo.candidates[0], &demo.candidates[1]);
    let b = browser(&t, wang).await;

    let page = get(&t, &b, "/query/latest-results").await;

    let session = t.app.db.latest_score_session().await.unwrap().unwrap();
    let stored = t
        .app
        .db
        .session_scores("140119100001", session)
        .await
        .unwrap();
    assert!(!stored.is_empty());
    let codes: Vec<String> = stored.iter().map(|s| s.course_code.clone()).collect();
    assert_eq!(first_cells(&page.html, "scores", 0), codes);
    let results = first_cells(&page.html, "scores", 4);
    for (shown, s) in results.iter().zip(&stored) {
        assert_eq!(shown, if s.passed { "合格" } else { "不合格" });
    }
    let token = t
        .login(&wang.id_number, wang.password.as_deref().unwrap())
        .await;
    let (_, body) = t.get_json("/api/v1/me/results/latest", Some(&token)).await;
    assert_eq!(
        body["session"],
        format!("{}年{:02}月", session.0, session.1)
    );
    assert_eq!(body["scores"].as_array().unwrap().len(), stored.len());

    // A newer session in which only 陈静 sat.
    let csv = "准考证号,课程代码,成绩,考试年月\n140219100002,00161,64,2026-11\n";
    import(&t, ImportKind::Results, csv.as_bytes()).await;
    let page = get(&t, &b, "/query/latest-results").await;
    assert!(first_cells(&page.html, "scores", 0).is_empty());
    let nothing = text_of(&page.html, "#nothing").unwrap();
    assert!(
        nothing.contains("2026年11月") && nothing.contains("没有您的成绩"),
        "{nothing}"
    );
    let chen_page = get(&t, &browser(&t, chen).await, "/query/latest-results").await;
    assert_eq!(first_cells(&chen_page.html, "scores", 0), ["00161"]);
}

async fn the_plan_shows_passed_and_remaining_courses_and_credits(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let wang = &demo.candidates[0];
    let token = t
        .login(&wang.id_number, wang.password.as_deref().unwrap())
        .await;

    let (status, plan) = t.get_json("/api/v1/me/plan", Some(&token)).await;

    assert_eq!(status, 200, "{plan}");
    let record = t
        .app
        .db
        .exam_candidate("140119100001")
        .await
        .unwrap()
        .unwrap();
    let specialty = record.specialty_code.unwrap();
    let courses = t.app.db.plan_course_rows(&specialty).await.unwrap();
    let passed: BTreeSet<String> = t
        .app
        .db
        .passed_courses("140119100001")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.code)
        .collect();
    let done: Vec<_> = courses
        .iter()
        .filter(|c| passed.contains(&c.code))
        .collect();
    let done_credits: i64 = done.iter().map(|c| c.credits).sum();
    let graduation = t
        .app
        .db
        .specialty_row(&specialty)
        .await
        .unwrap()
        .unwrap()
        .graduation_credits
        .unwrap();
    assert_eq!(plan["specialty_code"], specialty);
    assert_eq!(plan["courses"].as_array().unwrap().len(), courses.len());
    assert_eq!(plan["passed_count"], done.len());
    assert_eq!(plan["remaining_count"], courses.len() - done.len());
    assert_eq!(plan["passed_credits"], done_credits);
    assert_eq!(plan["remaining_credits"], graduation - done_credits);

    let page = get(&t, &browser(&t, wang).await, "/query/plans").await;
    assert_eq!(first_cells(&page.html, "plan", 0).len(), courses.len());
    let states = first_cells(&page.html, "plan", 4);
    assert_eq!(states.iter().filter(|s| *s == "已合格").count(), done.len());
    let summary = text_of(&page.html, "#remaining-summary").unwrap();
    assert!(
        summary.contains(&format!("还差 {} 学分", graduation - done_credits)),
        "{summary}"
    );
}

fn media_box(pdf: &[u8]) -> (f64, f64) {
    let raw = String::from_utf8_lossy(pdf);
    let at = raw.find("MediaBox").expect("a MediaBox") + "MediaBox".len();
    let inner: String = raw[at..]
        .trim_start()
        .trim_start_matches('[')
        .chars()
        .take_while(|c| *c != ']')
        .collect();
    let n: Vec<f64> = inner
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    (n[2] - n[0], n[3] - n[1])
}

/// The text layer without line breaks (table cells wrap long names).
fn pdf_text(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(pdf)
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

async fn ticket_pdf(t: &TestApp, token: &str) -> reqwest::Response {
    t.api()
        .get(t.url("/api/v1/me/admission-ticket.pdf"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn the_admission_ticket_is_an_a4_pdf_of_the_own_exams(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let (wang, chen) = (&demo.candidates[0], &demo.candidates[1]);
    let b = browser(&t, wang).await;
    let session = t
        .app
        .db
        .latest_arrangement_session()
        .await
        .unwrap()
        .unwrap();
    let exams = t
        .app
        .db
        .arrangements("140119100001", session)
        .await
        .unwrap();
    let others = t
        .app
        .db
        .arrangements("140219100002", session)
        .await
        .unwrap();

    let page = get(&t, &b, "/query/admission-ticket").await;

    assert_eq!(first_cells(&page.html, "exams", 0).len(), exams.len());
    assert!(page.html.contains("/query/admission-ticket.pdf"));
    let res = b
        .get(t.url("/query/admission-ticket.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    let (w, h) = media_box(&pdf);
    assert_eq!((w.round(), h.round()), (595.0, 842.0), "A4 portrait");
    let text = pdf_text(&pdf);
    assert!(text.contains("王晓明"));
    assert!(text.contains("准考证"));
    for e in &exams {
        assert!(
            text.contains(&e.course_name),
            "{} in the ticket",
            e.course_name
        );
        assert!(text.contains(&e.venue));
    }
    assert!(
        text.contains("照片"),
        "a box for the photo without a portrait"
    );
    for o in others.iter().filter(|o| o.venue != exams[0].venue) {
        assert!(!text.contains(&o.venue), "not another candidate's exam");
    }

    // With a portrait on file, it is printed instead of the box.
    let account = t
        .app
        .db
        .candidate_by_ticket("140119100001")
        .await
        .unwrap()
        .unwrap();
    let stored = t
        .app
        .store_photo(
            crate::fixtures::photo(600, 800).into(),
            &zikao::media::IDENTITY_PHOTO,
            "photo",
        )
        .await
        .unwrap();
    t.app
        .db
        .put_identity_photo(&account.id, "identity", "portrait", &stored.file.id, 0)
        .await
        .unwrap();
    let token = t
        .login(&wang.id_number, wang.password.as_deref().unwrap())
        .await;
    let with_photo = ticket_pdf(&t, &token).await.bytes().await.unwrap();
    assert!(
        String::from_utf8_lossy(&with_photo).contains("/Image"),
        "the photo is embedded"
    );
    let text = pdf_text(&with_photo);
    assert!(!text.contains("照片"), "no empty box");

    // A newer session in which only 陈静 sits: nothing to print for 王晓明.
    let csv = "准考证号,考次,课程代码,考试日期,考试时间,考点,座位号\n\
               140219100002,2027-10,00161,2027-10-23,09:00-11:30,大同市第一中学,09\n";
    import(&t, ImportKind::Arrangements, csv.as_bytes()).await;
    let page = get(&t, &b, "/query/admission-ticket").await;
    assert!(
        text_of(&page.html, "#nothing")
            .unwrap()
            .contains("没有您的考试安排")
    );
    assert!(!page.html.contains("/query/admission-ticket.pdf"));
    let res = ticket_pdf(&t, &token).await;
    assert_eq!(res.status(), 409);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "no_arrangements");
    let chen_token = t
        .login(&chen.id_number, chen.password.as_deref().unwrap())
        .await;
    assert_eq!(ticket_pdf(&t, &chen_token).await.status(), 200);
}

async fn the_other_query_items_still_say_they_have_nothing(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let b = browser(&t, &demo.candidates[0]).await;
    let page = get(&t, &b, "/query/orders").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("暂无可显示的内容"));
    let openapi = t
        .api()
        .get(t.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = openapi.json().await.unwrap();
    for path in [
        "/api/v1/me/results",
        "/api/v1/me/results/latest",
        "/api/v1/me/plan",
        "/api/v1/me/admission-ticket.pdf",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} in the OpenAPI document"
        );
    }
}

both_backends!(
    passed_results_are_exactly_the_own_ones,
    the_latest_session_shows_failed_scores_and_says_when_none,
    the_plan_shows_passed_and_remaining_courses_and_credits,
    the_admission_ticket_is_an_a4_pdf_of_the_own_exams,
    the_other_query_items_still_say_they_have_nothing,
);
