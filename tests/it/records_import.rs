//! 成绩库导入: every kind from CSV and from XLSX, whole-file refusal with the
//! line named, idempotent re-imports, updates, the admin's check-then-apply
//! page, and the size the issue asks for.

use std::time::Instant;

use reqwest::Client;
use reqwest::multipart::{Form, Part};
use zikao::service::demo::DemoAccounts;
use zikao::service::{ImportActor, ImportKind, ImportReport};

use crate::both_backends;
use crate::harness::{Backend, TestApp};
use crate::pages::{Page, get, post};

/// The documented examples, one per kind, in the order they must be imported.
pub const EXAMPLES: &[(ImportKind, &str)] = &[
    (
        ImportKind::Specialties,
        include_str!("../../docs/examples/specialties.csv"),
    ),
    (
        ImportKind::Courses,
        include_str!("../../docs/examples/courses.csv"),
    ),
    (
        ImportKind::Plans,
        include_str!("../../docs/examples/plans.csv"),
    ),
    (
        ImportKind::Candidates,
        include_str!("../../docs/examples/candidates.csv"),
    ),
    (
        ImportKind::Results,
        include_str!("../../docs/examples/results.csv"),
    ),
    (
        ImportKind::Arrangements,
        include_str!("../../docs/examples/arrangements.csv"),
    ),
];

/// A CSV text as an XLSX workbook of one sheet, every cell as text except
/// whole numbers of credits and scores (as Excel users type them).
pub fn xlsx_of(csv: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in csv.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            let (r, c) = (r as u32, c as u16);
            let leading_zero = cell.len() > 1 && cell.starts_with('0');
            let numeric = cell.len() <= 3 && !leading_zero && cell.parse::<f64>().is_ok();
            if numeric {
                sheet
                    .write_number(r, c, cell.parse::<f64>().unwrap())
                    .unwrap();
            } else if !cell.is_empty() {
                sheet.write_string(r, c, cell).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

pub async fn import(t: &TestApp, kind: ImportKind, bytes: &[u8]) -> ImportReport {
    t.app
        .import_records(kind, bytes, true, ImportActor::CommandLine)
        .await
        .unwrap()
}

async fn dry_run(t: &TestApp, kind: ImportKind, bytes: &[u8]) -> ImportReport {
    t.app
        .import_records(kind, bytes, false, ImportActor::CommandLine)
        .await
        .unwrap()
}

/// Imports every example (as CSV or as XLSX) and checks what was stored.
async fn every_kind_imports(t: &TestApp, xlsx: bool) {
    for (kind, csv) in EXAMPLES {
        let bytes = if xlsx {
            xlsx_of(csv)
        } else {
            csv.as_bytes().to_vec()
        };
        let lines = csv.lines().count() - 1;
        let r = import(t, *kind, &bytes).await;
        assert!(r.errors.is_empty(), "{kind:?}: {:?}", r.errors);
        assert_eq!(
            (r.rows, r.inserted, r.updated),
            (lines, lines as u64, 0),
            "{kind:?}"
        );
    }

    let db = &t.app.db;
    let chinese = db.specialty_row("050105").await.unwrap().unwrap();
    assert_eq!(
        (
            chinese.name.as_str(),
            chinese.level.as_str(),
            chinese.graduation_credits
        ),
        ("汉语言文学", "本科", Some(72))
    );
    assert_eq!(
        db.specialty_row("530302")
            .await
            .unwrap()
            .unwrap()
            .graduation_credits,
        None
    );
    let plan: Vec<String> = db
        .plan_course_rows("050105")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.code)
        .collect();
    assert_eq!(plan, ["00015", "00037", "00529", "03708", "06999"]);
    let practical = db.plan_course_rows("120203K").await.unwrap();
    assert_eq!(practical[1].kind, "practical");

    let zhang = db.exam_candidate("140119200001").await.unwrap().unwrap();
    assert_eq!(
        (
            zhang.name.as_str(),
            zhang.gender.as_str(),
            zhang.city.as_str(),
            zhang.county.as_str()
        ),
        ("张伟", "male", "1401", "140105"),
        "city and county by name become codes"
    );
    assert!(
        !zhang.id_number_enc.contains("140105199503151230"),
        "sealed"
    );
    let liu = db.exam_candidate("140219200002").await.unwrap().unwrap();
    assert_eq!(liu.transfer_in_date.as_deref(), Some("2025-09-01"));
    let yang = db.exam_candidate("140719200003").await.unwrap().unwrap();
    assert_eq!(yang.status, "suspended");

    let passed = db.passed_courses("140119200001").await.unwrap();
    let summary: Vec<(String, String, bool)> = passed
        .iter()
        .map(|c| (c.code.clone(), c.score.clone(), c.by_exemption))
        .collect();
    assert_eq!(
        summary,
        [
            ("00015".into(), "免考".into(), true),
            ("03708".into(), "72".into(), false),
            ("00529".into(), "81".into(), false),
        ],
        "failed scores are not passed results"
    );
    let session = db.latest_score_session().await.unwrap();
    assert_eq!(session, Some((2026, 10)));
    let scores = db.session_scores("140119200001", (2026, 10)).await.unwrap();
    let scores: Vec<(&str, bool)> = scores
        .iter()
        .map(|s| (s.course_code.as_str(), s.passed))
        .collect();
    assert_eq!(scores, [("00037", false), ("00529", true)]);
    let exams = db.arrangements("140119200001", (2027, 4)).await.unwrap();
    assert_eq!(exams.len(), 2);
    assert_eq!(
        (
            exams[0].course_code.as_str(),
            exams[0].seat.as_str(),
            exams[0].exam_time.as_str()
        ),
        ("00037", "18", "09:00-11:30")
    );

    for (kind, csv) in EXAMPLES {
        let bytes = if xlsx {
            xlsx_of(csv)
        } else {
            csv.as_bytes().to_vec()
        };
        let again = import(t, *kind, &bytes).await;
        assert_eq!(
            (again.inserted, again.updated, again.removed),
            (0, 0, 0),
            "{kind:?}: the same file again changes nothing"
        );
    }
}

async fn every_kind_imports_from_csv(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    every_kind_imports(&t, false).await;
}

async fn every_kind_imports_from_xlsx(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    every_kind_imports(&t, true).await;
}

async fn imports_up_to(t: &TestApp, last: ImportKind) {
    for (kind, csv) in EXAMPLES {
        let r = import(t, *kind, csv.as_bytes()).await;
        assert!(r.errors.is_empty(), "{kind:?}: {:?}", r.errors);
        if *kind == last {
            break;
        }
    }
}

async fn a_file_with_one_bad_row_imports_nothing_and_names_the_line(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    imports_up_to(&t, ImportKind::Plans).await;
    let candidates = EXAMPLES[3].1;
    // Line 3 (刘芳) with a wrong check character.
    let bad = candidates.replace("140213199706222460", "140213199706222461");

    let r = import(&t, ImportKind::Candidates, bad.as_bytes()).await;

    assert!(!r.applied);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert_eq!(r.errors[0].line, Some(3));
    assert!(r.errors[0].message.contains("校验位"), "{}", r.errors[0]);
    assert_eq!(
        r.errors[0].to_string(),
        format!("第3行：{}", r.errors[0].message)
    );
    for ticket in ["140119200001", "140219200002", "140719200003"] {
        assert!(
            t.app.db.exam_candidate(ticket).await.unwrap().is_none(),
            "the good lines were not imported either"
        );
    }

    // The same in XLSX, and with a reference the records do not hold.
    import(&t, ImportKind::Candidates, candidates.as_bytes()).await;
    let results = EXAMPLES[4]
        .1
        .replace("140719200003,03708", "140719200003,99999");
    let r = import(&t, ImportKind::Results, &xlsx_of(&results)).await;
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert_eq!(r.errors[0].line, Some(8));
    assert!(r.errors[0].message.contains("99999"), "{}", r.errors[0]);
    assert!(
        t.app
            .db
            .passed_courses("140119200001")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(t.app.db.latest_score_session().await.unwrap(), None);
}

async fn whole_file_problems_are_reported_in_chinese(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let missing = import(
        &t,
        ImportKind::Courses,
        "课程代码,课程名称\n00015,英语（二）\n".as_bytes(),
    )
    .await;
    assert!(
        missing.errors[0].message.contains("学分"),
        "{:?}",
        missing.errors
    );
    assert_eq!(missing.errors[0].line, None);

    let gbk = import(&t, ImportKind::Courses, &[0xbf, 0xce, 0xb3, 0xcc, b'\n']).await;
    assert!(gbk.errors[0].message.contains("UTF-8"), "{:?}", gbk.errors);

    let dup = "课程代码,课程名称,学分,课程类型\n00015,英语（二）,14,理论\n00015,英语,14,理论\n";
    let r = import(&t, ImportKind::Courses, dup.as_bytes()).await;
    assert_eq!(r.errors[0].line, Some(3));
    assert!(r.errors[0].message.contains("第2行"), "{:?}", r.errors);
    assert!(
        t.app
            .db
            .existing("courses", "code", &["00015".into()])
            .await
            .unwrap()
            .is_empty()
    );

    // English headers are accepted too.
    let english = "code,name,credits,kind\n00015,英语（二）,14,theory\n";
    let r = import(&t, ImportKind::Courses, english.as_bytes()).await;
    assert_eq!((r.inserted, r.errors.len()), (1, 0), "{:?}", r.errors);
}

async fn an_updated_file_updates_and_a_dry_run_changes_nothing(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    imports_up_to(&t, ImportKind::Results).await;
    let results = EXAMPLES[4].1;
    let corrected = results
        .replace("140119200001,00529,81", "140119200001,00529,83")
        .replace(
            "140719200003,03708,48,2026-10,考试\n",
            "140719200003,03708,48,2026-10,考试\n140719200003,00037,90,2026-10,考试\n",
        );

    let check = dry_run(&t, ImportKind::Results, corrected.as_bytes()).await;
    assert_eq!(
        (check.inserted, check.updated, check.applied),
        (1, 1, false)
    );
    let before = t.app.db.passed_courses("140119200001").await.unwrap();
    assert_eq!(
        before.iter().find(|c| c.code == "00529").unwrap().score,
        "81"
    );

    let r = import(&t, ImportKind::Results, corrected.as_bytes()).await;
    assert_eq!((r.inserted, r.updated, r.unchanged()), (1, 1, 6));
    let after = t.app.db.passed_courses("140119200001").await.unwrap();
    assert_eq!(after.len(), before.len(), "updated, not duplicated");
    assert_eq!(
        after.iter().find(|c| c.code == "00529").unwrap().score,
        "83"
    );
    let yang = t.app.db.passed_courses("140719200003").await.unwrap();
    assert_eq!(yang.len(), 1);

    // A plan file names the whole plan of its specialties.
    let shorter = EXAMPLES[2].1.replace("050105,06999\n", "");
    let r = import(&t, ImportKind::Plans, shorter.as_bytes()).await;
    assert_eq!((r.inserted, r.updated, r.removed), (0, 0, 1));
    assert_eq!(t.app.db.plan_course_rows("050105").await.unwrap().len(), 4);
}

async fn hundred_thousand_results_import_in_one_go(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    imports_up_to(&t, ImportKind::Courses).await;
    let mut candidates = String::from("准考证号,身份证号,姓名,专业代码,地市,区县\n");
    for i in 0..5_000u32 {
        let id = crate::harness::id_number(&format!("14010519900101{:03}", i % 1000));
        candidates.push_str(&format!("1401192{i:05},{id},考生甲,050105,1401,140105\n"));
    }
    import(&t, ImportKind::Candidates, candidates.as_bytes()).await;
    let courses = ["03708", "00015", "00037", "00529"];
    let mut results = String::from("准考证号,课程代码,成绩,考试年月\n");
    for i in 0..5_000u32 {
        for (c, course) in courses.iter().enumerate() {
            for session in ["2025-04", "2025-10", "2026-04", "2026-10", "2024-10"] {
                let score = 40 + (i as usize * 7 + c * 3 + session.len()) % 19;
                results.push_str(&format!("1401192{i:05},{course},{score},{session}\n"));
            }
        }
    }
    assert_eq!(results.lines().count() - 1, 100_000);

    let started = Instant::now();
    let r = import(&t, ImportKind::Results, results.as_bytes()).await;
    let took = started.elapsed();

    assert!(
        r.errors.is_empty(),
        "{:?}",
        &r.errors[..r.errors.len().min(3)]
    );
    assert_eq!(r.inserted, 100_000);
    eprintln!("100,000 result lines on {backend:?}: {took:?}");
    assert!(took.as_secs() < 60, "{took:?}");
    let again = Instant::now();
    let r = import(&t, ImportKind::Results, results.as_bytes()).await;
    assert_eq!((r.inserted, r.updated), (0, 0));
    eprintln!("the same again: {:?}", again.elapsed());
}

/// The code an authenticator app shows for a base32 secret at the app's "now".
fn totp_code(t: &TestApp, secret: &str) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp =
        totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap();
    totp.generate(zikao::clock::Clock::now(&*t.clock).timestamp() as u64)
}

/// Signs a demo staff member of `role` in with a browser.
pub async fn staff_browser(t: &TestApp, demo: &DemoAccounts, role: &str) -> Client {
    let s = demo.staff.iter().find(|s| s.role == role).unwrap();
    let b = t.browser();
    let form = get(t, &b, "/admin").await;
    let code = s
        .totp_secret
        .as_deref()
        .map(|secret| totp_code(t, secret))
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
    assert_eq!(res.status, 303, "{}", res.html);
    b
}

async fn upload(t: &TestApp, b: &Client, kind: &str, name: &str, bytes: Vec<u8>) -> Page {
    let page = get(t, b, "/admin/import").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let form = Form::new()
        .text("csrf", page.csrf())
        .text("kind", kind.to_owned())
        .part("file", Part::bytes(bytes).file_name(name.to_owned()));
    let res = b
        .post(t.url("/admin/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    page_of(res).await
}

/// A response as a page.
pub async fn page_of(res: reqwest::Response) -> Page {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    Page {
        status,
        headers,
        html: res.text().await.unwrap(),
    }
}

fn input(html: &str, name: &str) -> String {
    crate::pages::input_value(html, name).unwrap_or_default()
}

async fn a_province_admin_checks_then_applies_a_file(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let b = staff_browser(&t, &demo, "province_admin").await;
    let home = get(&t, &b, "/admin/home").await;
    assert!(home.html.contains("/admin/import"), "linked from home");
    let csv =
        "专业代码,专业名称,专业层次,毕业学分\n030302,社会工作,本科,70\n120203K,会计学,本科,61\n";

    let checked = upload(
        &t,
        &b,
        "specialties",
        "specialties.csv",
        csv.as_bytes().to_vec(),
    )
    .await;

    assert_eq!(checked.status, 200, "{}", checked.html);
    let said = crate::harness::text_of(&checked.html, "#dry-run").unwrap();
    assert!(
        said.contains("新增 1 条") && said.contains("未变 1 条"),
        "{said}"
    );
    assert!(
        t.app.db.specialty_row("030302").await.unwrap().is_none(),
        "not yet"
    );

    let apply = post(
        &t,
        &b,
        "/admin/import/apply",
        &[
            ("csrf", &checked.csrf()),
            ("kind", &input(&checked.html, "kind")),
            ("upload", &input(&checked.html, "upload")),
        ],
    )
    .await;
    assert_eq!(apply.status, 200, "{}", apply.html);
    assert!(apply.html.contains("导入完成"));
    assert_eq!(
        t.app
            .db
            .specialty_row("030302")
            .await
            .unwrap()
            .unwrap()
            .name,
        "社会工作"
    );
    let again = post(
        &t,
        &b,
        "/admin/import/apply",
        &[
            ("csrf", &checked.csrf()),
            ("kind", "specialties"),
            ("upload", &input(&checked.html, "upload")),
        ],
    )
    .await;
    assert_eq!(again.status, 409, "a kept file is applied once");

    // A bad XLSX: the rows are listed, nothing to confirm.
    let bad = "专业代码,专业名称,专业层次\n030303,社会学,硕士\n030304,人类学,本科\n";
    let page = upload(&t, &b, "specialties", "bad.xlsx", xlsx_of(bad)).await;
    assert_eq!(page.status, 422);
    let errors = crate::harness::text_of(&page.html, "#errors").unwrap();
    assert!(
        errors.contains("第2行") && errors.contains("硕士"),
        "{errors}"
    );
    assert!(!page.html.contains("/admin/import/apply"));
    assert!(t.app.db.specialty_row("030304").await.unwrap().is_none());
}

async fn only_province_admins_import(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let b = staff_browser(&t, &demo, "city_office").await;
    let home = get(&t, &b, "/admin/home").await;
    assert!(!home.html.contains("/admin/import"));
    let page = get(&t, &b, "/admin/import").await;
    assert_eq!(page.status, 403);
    let csv = "专业代码,专业名称,专业层次\n030302,社会工作,本科\n";
    let post = b
        .post(t.url("/admin/import"))
        .multipart(
            Form::new()
                .text("csrf", home.csrf())
                .text("kind", "specialties")
                .part(
                    "file",
                    Part::bytes(csv.as_bytes().to_vec()).file_name("a.csv"),
                ),
        )
        .send()
        .await
        .unwrap();
    assert!(matches!(post.status().as_u16(), 403), "{}", post.status());
    assert!(t.app.db.specialty_row("030302").await.unwrap().is_none());
}

both_backends!(
    every_kind_imports_from_csv,
    every_kind_imports_from_xlsx,
    a_file_with_one_bad_row_imports_nothing_and_names_the_line,
    whole_file_problems_are_reported_in_chinese,
    an_updated_file_updates_and_a_dry_run_changes_nothing,
    hundred_thousand_results_import_in_one_go,
    a_province_admin_checks_then_applies_a_file,
    only_province_admins_import,
);
