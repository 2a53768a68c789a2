//! Scale: a database as a province fills it (a million candidates, 100,000
//! transfer-out applications), written in bulk, and the latency of login and
//! of the city office's review queue measured against it.
//!
//! - `scale-seed --candidates N --applications M --out FILE`: the demo data,
//!   then N enrolled, verified candidates of the 11 cities (accounts and exam
//!   records, 身份证号 and phone sealed and indexed with the deployment's keys
//!   exactly as the platform writes them, one shared Argon2 hash) and M
//!   applications of the first M of them in the open 转考申请 window, spread
//!   over the states as a window leaves them, with their image rows and the
//!   applicants' passed courses. Multi-row INSERTs in large transactions.
//!   FILE gets logins to probe with (the demo's when N is 0) and a city
//!   office's staff account.
//! - `scale-probe --base URL --logins FILE --label L`: logins over the API and
//!   the review queue (page and API) at fixed rates (open loop), with their
//!   percentiles; every answer's status is checked.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::AnyConnection;
use sqlx::{Connection, Executor, Row};
use zikao::clock::{Clock, SystemClock};
use zikao::domain::{ResidentId, check_character};
use zikao::service::App;
use zikao::storage::{Backend, micros, new_id};

use crate::stats::summary;

/// The password of every seeded candidate (one shared hash).
const PASSWORD: &str = "Scale#2026ok";

/// The passed courses of an applicant (the demo's 会计学 plan).
const PASSED: [&str; 9] = [
    "03708", "03709", "00015", "04184", "04183", "00067", "00155", "00156", "00160",
];

/// Rows per statement are bounded by the bound values (SQLite's limit is
/// 32,766, PostgreSQL's 65,535).
const MAX_BINDS: usize = 30_000;
const MAX_ROWS: usize = 1_000;
/// Candidates per transaction.
const TX_ROWS: usize = 100_000;

/// What `scale-seed` writes for `scale-probe`.
#[derive(Serialize, Deserialize)]
pub struct ScaleLogins {
    pub candidates: usize,
    pub applications: usize,
    /// `(login, password)`: 准考证号 and 身份证号 alternately.
    pub logins: Vec<(String, String)>,
    pub staff_username: String,
    pub staff_password: String,
    pub staff_city: String,
}

/// One bound value.
enum V {
    T(String),
    OT(Option<String>),
    I(i64),
    OI(Option<i64>),
}

impl From<String> for V {
    fn from(s: String) -> Self {
        V::T(s)
    }
}
impl From<&str> for V {
    fn from(s: &str) -> Self {
        V::T(s.to_owned())
    }
}
impl From<i64> for V {
    fn from(n: i64) -> Self {
        V::I(n)
    }
}
impl From<Option<String>> for V {
    fn from(s: Option<String>) -> Self {
        V::OT(s)
    }
}
impl From<Option<i64>> for V {
    fn from(n: Option<i64>) -> Self {
        V::OI(n)
    }
}

/// Inserts rows into `table` with multi-row INSERTs (`$n` placeholders, as
/// everywhere in the platform); the caller holds the transaction.
async fn insert(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<V>>,
) -> anyhow::Result<()> {
    let per = (MAX_BINDS / columns.len()).min(MAX_ROWS);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<V>> = rows.by_ref().take(per).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (r, row) in chunk.iter().enumerate() {
            anyhow::ensure!(
                row.len() == columns.len(),
                "{table}: a row of {}",
                row.len()
            );
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..row.len() {
                n += 1;
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for v in chunk.into_iter().flatten() {
            q = match v {
                V::T(s) => q.bind(s),
                V::OT(s) => q.bind(s),
                V::I(i) => q.bind(i),
                V::OI(i) => q.bind(i),
            };
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The `i`-th candidate: city index, county, 准考证号, 身份证号. Born 1980–1982,
/// 999 a day; the 准考证号 `CCCC8NNNNNNN` (city, then the number) is apart from
/// the demo's and `seed`'s.
fn person(app: &App, i: usize) -> (usize, String, String, String) {
    let cities = &app.province.cities;
    let c = i % cities.len();
    let city = &cities[c];
    let county = city.counties[(i / cities.len()) % city.counties.len()]
        .code
        .clone();
    let birth = NaiveDate::from_ymd_opt(1980, 1, 1).expect("date")
        + chrono::Duration::days((i / 999) as i64);
    let first17 = format!("{county}{}{:03}", birth.format("%Y%m%d"), i % 999 + 1);
    let id = format!("{first17}{}", check_character(first17.as_bytes()) as char);
    (c, county, format!("{}8{i:07}", city.code), id)
}

/// A batch of candidates ready to insert: accounts, exam records, results.
struct Batch {
    candidates: Vec<Vec<V>>,
    exam: Vec<Vec<V>>,
    results: Vec<Vec<V>>,
    /// (candidate id, city) of the applicants in the batch, by number.
    applicants: Vec<(usize, String, String)>,
}

/// Builds candidates `from..to` (the sealing and indexing is the slow part).
fn batch(app: &App, from: usize, to: usize, applications: usize, hash: &str, now: i64) -> Batch {
    let today = app.clock.today();
    let mut b = Batch {
        candidates: Vec::with_capacity(to - from),
        exam: Vec::with_capacity(to - from),
        results: vec![],
        applicants: vec![],
    };
    for i in from..to {
        let (c, county, ticket, id) = person(app, i);
        let city = app.province.cities[c].code.clone();
        let parsed = ResidentId::parse(&id, today).expect("a valid 身份证号");
        let gender = zikao::domain::gender_of(&parsed).as_str().to_owned();
        let name = format!("规模考生{i}");
        let id_enc = app.keys.encrypt("id_number", &id);
        let id_idx = app.keys.blind_index("id_number", &id);
        let phone = app
            .keys
            .encrypt("phone", &format!("139{:08}", i % 100_000_000));
        let cid = new_id();
        b.exam.push(vec![
            ticket.clone().into(),
            id_enc.clone().into(),
            id_idx.clone().into(),
            name.clone().into(),
            gender.clone().into(),
            Some("120203K".to_owned()).into(),
            city.clone().into(),
            county.clone().into(),
            "active".into(),
            None::<String>.into(),
            now.into(),
        ]);
        b.candidates.push(vec![
            cid.clone().into(),
            "enrolled".into(),
            id_enc.into(),
            id_idx.into(),
            Some(ticket.clone()).into(),
            name.into(),
            gender.into(),
            parsed.birth_date().to_string().into(),
            Some(phone).into(),
            None::<String>.into(),
            Some("汉族".to_owned()).into(),
            Some("城镇".to_owned()).into(),
            Some("普通高中".to_owned()).into(),
            Some("专业技术人员".to_owned()).into(),
            Some("群众".to_owned()).into(),
            city.clone().into(),
            county.into(),
            hash.into(),
            "verified".into(),
            now.into(),
            now.into(),
        ]);
        if i < applications {
            for (k, code) in PASSED.iter().enumerate() {
                b.results.push(vec![
                    ticket.clone().into(),
                    (*code).into(),
                    (60 + (k * 7 + i) % 35).to_string().into(),
                    (2020 + k as i64 / 3).into(),
                    (if k % 2 == 0 { 4i64 } else { 10 }).into(),
                    0i64.into(),
                ]);
            }
            b.applicants.push((i, cid, city));
        }
    }
    b
}

/// The state of the `i`-th application, as a window in its second half
/// leaves them: most confirmed and waiting or decided.
fn state_of(i: usize) -> &'static str {
    match (i * 37) % 100 {
        0..45 => "pending_review",
        45..75 => "approved",
        75..80 => "application_rejected",
        80..84 => "confirmation_rejected",
        84..94 => "awaiting_confirmation",
        _ => "draft",
    }
}

/// `scale-seed --candidates N --applications M --out FILE`.
pub async fn seed(args: &crate::Args) -> anyhow::Result<()> {
    let n = args.num("candidates", 1_000_000);
    let m = args.num("applications", 100_000).min(n);
    let out = args.get("out");
    let config = zikao::config::Config::load(None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let url = config.database_url();
    let data_dir = config.data_dir.clone();
    let clock = std::sync::Arc::new(SystemClock);
    let app = zikao::startup::build(config, clock.clone()).await?;
    let started = Instant::now();
    let demo = app
        .seed_demo(&data_dir)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("the database is not empty"))?;
    let staff = demo
        .staff
        .iter()
        .find(|s| s.role == "city_office")
        .ok_or_else(|| anyhow::anyhow!("no city office in the demo"))?;
    let targets: Vec<String> = app
        .province
        .provinces
        .iter()
        .map(|p| p.code.clone())
        .filter(|c| *c != app.province.info.code)
        .collect();
    let (window_start, window_end) = app
        .db
        .windows()
        .await?
        .into_iter()
        .find(|(k, _, _)| k == "transfer")
        .map(|(_, s, e)| (s, e))
        .ok_or_else(|| anyhow::anyhow!("no 转考申请 window in the demo"))?;
    let hash = app.passwords.hash(PASSWORD).await?;
    let backend = app.db.backend();
    app.db.close().await;

    let mut conn = AnyConnection::connect(&url).await?;
    if backend == Backend::Sqlite {
        conn.execute("PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;")
            .await?;
    }
    let reviewers: Vec<(String, String)> =
        sqlx::query("SELECT id, city FROM staff WHERE role = 'city_office'")
            .fetch_all(&mut conn)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("city")?, r.try_get("id")?)))
            .collect::<Result<_, sqlx::Error>>()?;
    let now = micros(clock.now());

    // Candidates: built on a thread of their own while the previous batch is
    // written.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(4);
    let producer = {
        let (app, hash) = (app.clone(), hash.clone());
        std::thread::spawn(move || {
            let mut from = 0;
            while from < n {
                let to = (from + 5_000).min(n);
                if tx
                    .blocking_send(batch(&app, from, to, m, &hash, now))
                    .is_err()
                {
                    break;
                }
                from = to;
            }
        })
    };
    let mut written = 0;
    let mut applicants = Vec::with_capacity(m);
    let mut t = conn.begin().await?;
    while let Some(b) = rx.recv().await {
        written += b.candidates.len();
        insert(
            &mut t,
            "candidates",
            &[
                "id",
                "kind",
                "id_number_enc",
                "id_number_idx",
                "ticket",
                "name",
                "gender",
                "birth_date",
                "phone_enc",
                "email_enc",
                "ethnicity",
                "household",
                "education",
                "occupation",
                "politics",
                "city",
                "county",
                "password_hash",
                "identity_state",
                "created_at",
                "updated_at",
            ],
            b.candidates,
        )
        .await?;
        insert(
            &mut t,
            "exam_candidates",
            &[
                "ticket",
                "id_number_enc",
                "id_number_idx",
                "name",
                "gender",
                "specialty_code",
                "city",
                "county",
                "status",
                "transfer_in_date",
                "updated_at",
            ],
            b.exam,
        )
        .await?;
        insert(
            &mut t,
            "results",
            &[
                "ticket",
                "course_code",
                "score",
                "passed_year",
                "passed_month",
                "by_exemption",
            ],
            b.results,
        )
        .await?;
        applicants.extend(b.applicants);
        if written % TX_ROWS == 0 {
            t.commit().await?;
            t = conn.begin().await?;
            eprintln!(
                "  {written} candidates in {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    t.commit().await?;
    producer
        .join()
        .map_err(|_| anyhow::anyhow!("the candidate builder panicked"))?;
    let candidates_done = started.elapsed();

    // Applications of the first M candidates, with their image rows.
    let span = (now - window_start - 3_600_000_000).max(1);
    let mut t = conn.begin().await?;
    for chunk in applicants.chunks(10_000) {
        let mut apps = Vec::with_capacity(chunk.len());
        let mut images = vec![];
        for (i, cid, city) in chunk {
            let i = *i;
            let state = state_of(i);
            let created = window_start + (i as i64 * 7_919_993) % span;
            let minute = 60_000_000;
            let submitted = (state != "draft").then_some(created + 10 * minute);
            let confirmed = matches!(
                state,
                "pending_review" | "approved" | "application_rejected" | "confirmation_rejected"
            )
            .then_some(created + 30 * minute);
            let decided = matches!(
                state,
                "approved" | "application_rejected" | "confirmation_rejected"
            );
            let (decision, reason) = match state {
                "approved" => (Some("approve"), Some("")),
                "application_rejected" => (Some("reject_application"), Some("材料缺失或不完整")),
                "confirmation_rejected" => (Some("reject_confirmation"), Some("登记表未签字")),
                _ => (None, None),
            };
            let decided_by = decided
                .then(|| {
                    reviewers
                        .iter()
                        .find(|(c, _)| c == city)
                        .map(|(_, id)| id.clone())
                })
                .flatten()
                .or_else(|| decided.then(|| "bulk-reviewer".to_owned()));
            let id = new_id();
            let mut kinds: Vec<&str> = match state {
                "draft" => vec!["id_card", "passed_courses"],
                _ => vec![
                    "id_card",
                    "passed_courses",
                    "target_ticket",
                    "target_transcript",
                ],
            };
            if confirmed.is_some() {
                kinds.extend(["signed_form", "holding_form"]);
            }
            for kind in kinds {
                images.push(vec![
                    new_id().into(),
                    id.clone().into(),
                    kind.into(),
                    new_id().into(),
                    created.into(),
                ]);
            }
            let specialty = confirmed.is_some();
            apps.push(vec![
                id.into(),
                cid.clone().into(),
                city.clone().into(),
                window_start.into(),
                window_end.into(),
                state.into(),
                targets[i % targets.len()].clone().into(),
                "work_relocation".into(),
                format!("{}01{:08}", targets[i % targets.len()], i % 100_000_000).into(),
                specialty.then(|| "会计学".to_owned()).into(),
                specialty.then(|| "120203K".to_owned()).into(),
                specialty.then(|| "本科".to_owned()).into(),
                None::<String>.into(),
                decision.map(str::to_owned).into(),
                reason.map(str::to_owned).into(),
                decided_by.into(),
                decided.then_some(created + 90 * minute).into(),
                created.into(),
                submitted.into(),
                confirmed.into(),
                i64::from(state.ends_with("_rejected")).into(),
                created.into(),
            ]);
        }
        insert(
            &mut t,
            "transfer_outs",
            &[
                "id",
                "candidate_id",
                "city",
                "window_start",
                "window_end",
                "state",
                "target_province",
                "reason",
                "target_ticket",
                "target_specialty_name",
                "target_specialty_code",
                "target_specialty_level",
                "correction_note",
                "decision",
                "decision_reason",
                "decided_by",
                "decided_at",
                "created_at",
                "submitted_at",
                "confirmed_at",
                "rejections",
                "updated_at",
            ],
            apps,
        )
        .await?;
        insert(
            &mut t,
            "transfer_images",
            &["id", "application_id", "kind", "file_id", "created_at"],
            images,
        )
        .await?;
    }
    t.commit().await?;
    let all_done = started.elapsed();
    // What a running PostgreSQL's autovacuum would have done by now: planner
    // statistics and the visibility map. SQLite is left as the platform
    // leaves it (no ANALYZE).
    if backend == Backend::Postgres {
        conn.execute("VACUUM ANALYZE").await?;
    } else {
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    conn.close().await?;

    // Logins to probe with: seeded candidates across the range, or the demo's.
    let mut logins = vec![];
    if n > 0 {
        for k in 0..200 {
            let i = (k * 7_919) % n;
            let (_, _, ticket, id) = person(&app, i);
            logins.push((if k % 2 == 0 { ticket } else { id }, PASSWORD.to_owned()));
        }
    } else {
        for c in &demo.candidates {
            if let Some(p) = &c.password {
                if let Some(t) = &c.ticket {
                    logins.push((t.clone(), p.clone()));
                }
                logins.push((c.id_number.clone(), p.clone()));
            }
        }
    }
    let file = ScaleLogins {
        candidates: n,
        applications: m,
        logins,
        staff_username: staff.username.clone(),
        staff_password: staff.password.clone(),
        staff_city: staff.city.clone().unwrap_or_default(),
    };
    std::fs::write(&out, serde_json::to_vec_pretty(&file)?)?;
    println!(
        "figure: scale_seed candidates={n} applications={m} candidates_s={:.1} total_s={:.1}",
        candidates_done.as_secs_f64(),
        all_done.as_secs_f64(),
    );
    Ok(())
}

/// Requests made one every 1/`rate` s for `secs` s whatever the answers take
/// (open loop); `make(k)` builds the `k`-th, which must answer `expect`.
/// Returns the figure line's body.
async fn fixed_rate<F>(rate: usize, secs: usize, expect: u16, make: F) -> anyhow::Result<String>
where
    F: Fn(usize) -> reqwest::RequestBuilder,
{
    let rate = rate.max(1);
    let total = rate * secs;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let deadline = Instant::now() + Duration::from_secs(secs as u64 + 120);
    let mut tasks = Vec::with_capacity(total);
    for k in 0..total {
        tick.tick().await;
        let req = make(k);
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            match req.send().await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let ok = res.bytes().await.is_ok() && status == expect;
                    (started.elapsed(), ok.then_some(()).ok_or(status))
                }
                Err(_) => (started.elapsed(), Err(0)),
            }
        }));
    }
    let mut samples = Vec::with_capacity(total);
    let mut errors = 0;
    let mut first_bad = None;
    for t in tasks {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, t).await {
            Ok(Ok((d, Ok(())))) => samples.push(d),
            Ok(Ok((_, Err(status)))) => {
                errors += 1;
                first_bad.get_or_insert(status);
            }
            _ => errors += 1,
        }
    }
    let bad = first_bad.map_or(String::new(), |s| format!(" first_bad_status={s}"));
    Ok(format!(
        "rate_per_s={rate} {} errors={errors}{bad}",
        summary(&mut samples)
    ))
}

/// Signs a staff member in through the back-office login page; the
/// `zk_staff` cookie.
async fn staff_cookie(base: &str, username: &str, password: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let form = client
        .get(format!("{base}/admin"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = {
        let doc = scraper::Html::parse_document(&form);
        let sel = scraper::Selector::parse("input[name=csrf]").expect("selector");
        doc.select(&sel)
            .next()
            .and_then(|e| e.value().attr("value"))
            .ok_or_else(|| anyhow::anyhow!("the staff login page has no form"))?
            .to_owned()
    };
    let res = client
        .post(format!("{base}/admin/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        res.status().as_u16() == 303,
        "staff login answered {}",
        res.status()
    );
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("zk_staff="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no zk_staff cookie"))
}

/// `scale-probe --base URL --logins FILE --label L [--login-rate 10]
/// [--login-secs 20] [--page-rate 50] [--page-secs 20]`.
pub async fn probe(args: &crate::Args) -> anyhow::Result<()> {
    let base = args.get("base");
    let file: ScaleLogins = serde_json::from_slice(&std::fs::read(args.get("logins"))?)?;
    let label = args.opt("label").unwrap_or_else(|| "scale".into());
    let login_rate = args.num("login-rate", 10);
    let login_secs = args.num("login-secs", 20);
    let page_rate = args.num("page-rate", 50);
    let page_secs = args.num("page-secs", 20);
    anyhow::ensure!(!file.logins.is_empty(), "no logins to probe with");
    let client = crate::client(64);

    // The reviewer: a page session and an API token.
    let cookie = staff_cookie(&base, &file.staff_username, &file.staff_password).await?;
    let token = crate::window::call(
        "staff login",
        client
            .post(format!("{base}/api/v1/staff/session"))
            .json(&json!({"username": file.staff_username, "password": file.staff_password})),
        200,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}: {}", e.step, e.detail))?["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no staff token"))?;
    let queue_url = format!("{base}/admin/transfers");
    let api_url = format!("{base}/api/v1/staff/transfer-outs");
    let queue: Value = client
        .get(&api_url)
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!(
        "{label}: city {} queue pending_review={} items_on_the_page={}",
        file.staff_city,
        queue["counts"]["pending_review"].as_i64().unwrap_or(0),
        queue["items"].as_array().map_or(0, Vec::len),
    );

    // Warm-up of each request, not counted.
    for (login, password) in file.logins.iter().take(10) {
        let res = client
            .post(format!("{base}/api/v1/session"))
            .json(&json!({"login": login, "password": password}))
            .send()
            .await?;
        anyhow::ensure!(
            res.status().as_u16() == 200,
            "login of {login} answered {}",
            res.status()
        );
    }
    for _ in 0..20 {
        client
            .get(&queue_url)
            .header("cookie", &cookie)
            .send()
            .await?
            .error_for_status()?;
        client
            .get(&api_url)
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?;
    }

    let logins = &file.logins;
    let login_url = format!("{base}/api/v1/session");
    let line = fixed_rate(login_rate, login_secs, 200, |k| {
        let (login, password) = &logins[k % logins.len()];
        client
            .post(&login_url)
            .json(&json!({"login": login, "password": password}))
    })
    .await?;
    println!("figure: scale {label} login {line}");
    let line = fixed_rate(page_rate, page_secs, 200, |_| {
        client.get(&queue_url).header("cookie", &cookie)
    })
    .await?;
    println!("figure: scale {label} queue_page {line}");
    let line = fixed_rate(page_rate, page_secs, 200, |_| {
        client.get(&api_url).bearer_auth(&token)
    })
    .await?;
    println!("figure: scale {label} queue_api {line}");
    Ok(())
}
