//! Exports (CSV and XLSX) and statistics: row counts equal the database's, a
//! city office sees only its city with masked personal data, the charts show
//! the numbers.

use std::io::Cursor;

use calamine::Reader;
use chrono::Duration;
use sqlx::{AnyPool, Row};
use zikao::domain::BusinessKind;
use zikao::storage::{NewCandidateRow, TransferRow, micros, new_id};

use crate::audit::{raw_db, staff_browser};
use crate::both_backends;
use crate::harness::{Backend, TestApp, id_number, start_time};

/// Candidates with one application each in the open transfer window: `n` of
/// 太原市 (1401) and `m` of 大同市 (1402). Their 身份证号.
async fn seed(t: &TestApp, n: usize, m: usize) -> Vec<String> {
    let start = start_time() - Duration::days(2);
    let end = start_time() + Duration::days(10);
    t.app
        .set_window(BusinessKind::Transfer, start, end)
        .await
        .unwrap();
    let mut ids = vec![];
    for i in 0..n + m {
        let (city, county) = if i < n {
            ("1401", "140105")
        } else {
            ("1402", "140212")
        };
        let id = id_number(&format!("{county}19900101{:03}", 100 + i));
        let cid = new_id();
        let row = NewCandidateRow {
            id: cid.clone(),
            kind: "new".into(),
            id_number_enc: t.app.keys.encrypt("id_number", &id),
            id_number_idx: t.app.keys.blind_index("id_number", &id),
            ticket: None,
            name: format!("考生{i}"),
            gender: "男".into(),
            birth_date: "1990-01-01".into(),
            phone_enc: Some(t.app.keys.encrypt("phone", &format!("138{:08}", i))),
            email_enc: None,
            ethnicity: None,
            household: None,
            education: None,
            occupation: None,
            politics: None,
            city: city.into(),
            county: county.into(),
            password_hash: "x".into(),
            identity_state: "verified".into(),
            now: micros(start_time()),
        };
        assert!(t.app.db.insert_candidate(&row).await.unwrap());
        let state = if i % 3 == 0 {
            "pending_review"
        } else {
            "draft"
        };
        t.app
            .db
            .insert_transfer(&TransferRow {
                id: new_id(),
                candidate_id: cid,
                city: city.into(),
                window_start: micros(start),
                window_end: micros(end),
                state: state.into(),
                target_province: "11".into(),
                reason: "01".into(),
                target_ticket: "123456789012".into(),
                target_specialty_name: None,
                target_specialty_code: None,
                target_specialty_level: None,
                correction_note: None,
                decision: None,
                decision_reason: None,
                decided_at: None,
                created_at: micros(start_time()) - i as i64,
                submitted_at: None,
                confirmed_at: None,
                rejections: 0,
            })
            .await
            .unwrap();
        ids.push(id);
    }
    ids
}

async fn count(db: &AnyPool, sql: &str) -> usize {
    sqlx::query(sql)
        .fetch_one(db)
        .await
        .unwrap()
        .get::<i64, _>("n") as usize
}

async fn download(t: &TestApp, b: &reqwest::Client, path: &str) -> (u16, String, Vec<u8>) {
    let res = b.get(t.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, res.bytes().await.unwrap().to_vec())
}

/// The records of a CSV export (header first); the BOM must lead.
fn csv_records(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn exports_have_the_databases_row_count(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let ids = seed(&t, 7, 5).await;
    let db = raw_db(&t).await;
    let applications = count(&db, "SELECT COUNT(*) AS n FROM transfer_outs").await;
    let candidates = count(&db, "SELECT COUNT(*) AS n FROM candidates").await;
    assert!(applications >= 12);
    let admin = staff_browser(&t, &demo, "admin").await;

    let (status, kind, body) = download(&t, &admin, "/admin/exports/transfers.csv").await;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    let records = csv_records(&body);
    assert_eq!(records[0][2], "身份证号");
    assert_eq!(records.len() - 1, applications);
    let text = String::from_utf8(body).unwrap();
    assert!(
        ids.iter().all(|id| text.contains(id.as_str())),
        "whole for the province admin"
    );

    let (status, _, body) = download(&t, &admin, "/admin/exports/transfers.xlsx").await;
    assert_eq!(status, 200);
    let mut book = calamine::Xlsx::new(Cursor::new(body)).unwrap();
    let sheet = book.worksheet_range("省际转出申请").unwrap();
    assert_eq!(sheet.height() - 1, applications);
    assert_eq!(sheet.get((0, 1)).unwrap().to_string(), "姓名");

    let (_, _, body) = download(&t, &admin, "/admin/exports/identity-reviews.csv").await;
    assert_eq!(csv_records(&body).len() - 1, candidates);
    let (_, _, body) = download(&t, &admin, "/admin/exports/identity-reviews.xlsx").await;
    let mut book = calamine::Xlsx::new(Cursor::new(body)).unwrap();
    assert_eq!(
        book.worksheet_range("身份认证").unwrap().height() - 1,
        candidates
    );

    let pending = count(
        &db,
        "SELECT COUNT(*) AS n FROM transfer_outs WHERE state = 'pending_review'",
    )
    .await;
    let (_, _, body) = download(
        &t,
        &admin,
        "/admin/exports/transfers.csv?state=pending_review",
    )
    .await;
    assert_eq!(csv_records(&body).len() - 1, pending);
}

async fn a_city_office_exports_only_its_city_masked(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let ids = seed(&t, 4, 6).await;
    let db = raw_db(&t).await;
    let taiyuan = count(
        &db,
        "SELECT COUNT(*) AS n FROM transfer_outs t JOIN candidates c ON c.id = t.candidate_id \
         WHERE c.city = '1401'",
    )
    .await;
    let city = staff_browser(&t, &demo, "taiyuan").await;

    for path in [
        "/admin/exports/transfers.csv",
        "/admin/exports/transfers.csv?city=1402",
    ] {
        let (status, _, body) = download(&t, &city, path).await;
        assert_eq!(status, 200);
        let records = csv_records(&body);
        let expected = if path.contains("1402") { 0 } else { taiyuan };
        assert_eq!(records.len() - 1, expected, "{path}");
        for r in &records[1..] {
            assert_eq!(r[5], "太原市");
            assert!(r[2].contains('*') && r[3].contains('*'), "masked: {r:?}");
        }
        let text = String::from_utf8(body).unwrap();
        assert!(ids.iter().all(|id| !text.contains(id.as_str())));
    }
    let (_, _, body) = download(&t, &city, "/admin/exports/transfers.xlsx").await;
    let mut book = calamine::Xlsx::new(Cursor::new(body)).unwrap();
    assert_eq!(
        book.worksheet_range("省际转出申请").unwrap().height() - 1,
        taiyuan
    );
}

async fn statistics_draw_the_counts(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    seed(&t, 4, 2).await;
    let admin = staff_browser(&t, &demo, "admin").await;
    let page = crate::pages::get(&t, &admin, "/admin/stats").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let doc = scraper::Html::parse_document(&page.html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let cell = |chart: &str, label: &str| -> String {
        doc.select(&sel(&format!("#{chart} tbody tr")))
            .find(|tr| tr.text().next().map(str::trim) == Some(label))
            .map(|tr| tr.select(&sel("td")).nth(1).unwrap().text().collect())
            .unwrap_or_default()
    };
    assert_eq!(cell("by-city", "太原市"), "4");
    assert_eq!(cell("by-city", "大同市"), "2");
    assert_eq!(cell("by-state", "待审核"), "2");
    assert_eq!(cell("by-state", "填报中"), "4");
    assert_eq!(cell("by-day", "2026-12-03"), "6");
    let svg = doc
        .select(&sel("#by-city svg"))
        .next()
        .expect("an SVG chart");
    assert!(svg.select(&sel("title")).next().is_some());
    let counts: Vec<String> = svg
        .select(&sel("text.count"))
        .map(|e| e.text().collect())
        .collect();
    assert!(counts.contains(&"4".to_owned()) && counts.contains(&"2".to_owned()));

    let city = staff_browser(&t, &demo, "datong").await;
    let page = crate::pages::get(&t, &city, "/admin/stats").await;
    assert!(!page.html.contains("太原市"), "another city is not shown");
}

both_backends!(
    exports_have_the_databases_row_count,
    a_city_office_exports_only_its_city_masked,
    statistics_draw_the_counts,
);
