//! The 登记表 as a typical web stack makes it, an HTML page printed to PDF by
//! headless Chromium, against the platform's in-process typst renderer, in one
//! run: `cargo bench --bench form_pdf_chromium`.
//!
//! Warm path: chromedriver starts one headless Chromium (kept running, as a
//! service with puppeteer would keep it); for every form the page is templated
//! (askama, benches/shared/registration-form.html), set as the tab's content
//! (`document.write`, what puppeteer's `setContent` does) and printed on A3
//! through WebDriver's Print command. Chromium and typst render in alternating
//! blocks, so both see the same machine load. Cold path: a new
//! `chromium --headless --print-to-pdf` process per form, a few times.
//!
//! Every Chromium PDF is checked: it starts with `%PDF` and has one A3 page.
//! Without chromium and chromedriver (on PATH, or ZIKAO_CHROMIUM and
//! ZIKAO_CHROMEDRIVER) the benchmark says so and ends successfully.
//!
//! BENCH_PDF_RUNS (default 200) forms each, BENCH_PDF_COLD (default 5) cold
//! prints. The last forms of each kind and the HTML page are left in
//! `<target>/form-pdf-chromium/` to look at.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use askama::Template;
use fantoccini::wd::{PrintConfiguration, PrintMargins, PrintSize};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use serde_json::{Value, json};
use zikao::pdf::FormRenderer;

#[path = "shared/form_data.rs"]
mod form_data;

/// The flags the browser tests run Chromium with (tests/e2e/browser.rs).
const CHROMIUM_FLAGS: [&str; 6] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
];

/// Forms rendered by one renderer before the other takes its turn.
const BLOCK: usize = 20;
const WARM_UP: usize = 20;

#[derive(Deserialize)]
struct Course {
    code: String,
    name: String,
    credits: i64,
    score: String,
    passed: String,
}

/// The form's data as the HTML template reads it (the same JSON the typst
/// template reads).
#[derive(Deserialize)]
struct Form {
    title: String,
    application_id: String,
    hash: String,
    organisation: String,
    name: String,
    gender: String,
    birth_date: String,
    id_number: String,
    phone: String,
    ticket: String,
    specialty_code: String,
    specialty_level: String,
    specialty_name: String,
    from_place: String,
    reason: String,
    courses: Vec<Course>,
    total_credits: i64,
    target_place: String,
    target_ticket: String,
    target_specialty_name: String,
    target_specialty_code: String,
    target_specialty_level: String,
    generated_at: String,
}

#[derive(Template)]
#[template(path = "../benches/shared/registration-form.html")]
struct FormPage<'a> {
    f: Form,
    qr_svg: &'a str,
    /// The page footer's text before the page number, as a CSS string.
    footer_start: String,
}

/// `s` as a quoted CSS string; anything but letters, digits, spaces and
/// non-ASCII characters is escaped, so it cannot end the string or the style
/// element.
fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == ' ' || !c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\{:x} ", u32::from(c)));
        }
    }
    out.push('"');
    out
}

/// The form's HTML page.
fn html(data: &Value, qr_svg: &str) -> String {
    let f = Form::deserialize(data).expect("the form data has every field");
    let footer_start = css_string(&format!(
        "申请编号：{}　·　内容校验码：{}　·　第 ",
        f.application_id, f.hash
    ));
    FormPage {
        f,
        qr_svg,
        footer_start,
    }
    .render()
    .expect("the form page renders")
}

/// The program named by the variable `var`, else the first of `names` on PATH.
fn program(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// The cargo target directory: `CARGO_TARGET_DIR`, else the one this bench
/// was built into (`<target>/release/deps/form_pdf_chromium-…`).
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("the bench has a path");
    exe.ancestors()
        .nth(3)
        .unwrap_or_else(|| Path::new("."))
        .to_path_buf()
}

/// chromedriver on a free loopback port, ended when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(program: &Path) -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut child = Command::new(program)
            .arg(format!("--port={port}"))
            .arg("--log-level=WARNING")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", program.display()));
        // chromedriver says when it listens; read up to that line, then keep
        // draining its output so that it never blocks on a full pipe.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|line| line.contains("started successfully") || line.contains("was started"));
        assert!(ready, "chromedriver ended before it listened");
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The process ids below `root` (children, their children, …).
fn descendants(root: u32) -> Vec<u32> {
    let mut parents = vec![];
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parents.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found.remove(0);
    found
}

/// A `Key:   123 kB` line of a /proc file, in KiB.
fn proc_kib(path: &str, key: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Number of processes, and the sums of their RSS and PSS in MiB.
fn memory(pids: &[u32]) -> (usize, u64, u64) {
    let rss: u64 = pids
        .iter()
        .map(|p| proc_kib(&format!("/proc/{p}/status"), "VmRSS:"))
        .sum();
    let pss: u64 = pids
        .iter()
        .map(|p| proc_kib(&format!("/proc/{p}/smaps_rollup"), "Pss:"))
        .sum();
    (pids.len(), rss / 1024, pss / 1024)
}

/// Checks that `pdf` is a PDF of one A3 page (841.89 × 1190.55 pt, rounded
/// either way), and returns why not.
fn check_a3(pdf: &[u8]) -> Result<(), String> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(format!("not a PDF ({} bytes)", pdf.len()));
    }
    let text = String::from_utf8_lossy(pdf);
    let boxes: Vec<Vec<f64>> = text
        .match_indices("/MediaBox")
        .filter_map(|(at, _)| {
            let rest = &text[at + "/MediaBox".len()..];
            let inner = rest.trim_start().strip_prefix('[')?.split(']').next()?;
            Some(
                inner
                    .split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect(),
            )
        })
        .collect();
    let pages = text
        .match_indices("/Type /Page")
        .filter(|(at, m)| text.as_bytes().get(at + m.len()) != Some(&b's'))
        .count();
    if boxes.is_empty() {
        return Err("no /MediaBox".into());
    }
    for b in &boxes {
        let a3 = b.len() == 4
            && (b[2] - b[0] - 841.89).abs() < 1.0
            && (b[3] - b[1] - 1190.55).abs() < 1.0;
        if !a3 {
            return Err(format!("a page is not A3: /MediaBox {b:?}"));
        }
    }
    if pages != 1 {
        return Err(format!("{pages} pages, the form has one"));
    }
    Ok(())
}

/// Median, p95 and max of `times` (ms), sorted in place.
fn stats(times: &mut [f64]) -> (f64, f64, f64) {
    times.sort_by(f64::total_cmp);
    let n = times.len();
    (times[n / 2], times[n * 95 / 100], times[n - 1])
}

/// One WebDriver session in a warm headless Chromium.
struct Warm {
    client: Client,
    print: PrintConfiguration,
}

impl Warm {
    async fn start(chromium: &Path, driver: &Driver) -> Self {
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push("--lang=zh-CN".into());
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("chromedriver starts Chromium");
        client.goto("about:blank").await.unwrap();
        // A3 and the typst template's margins (the page's @page rule says
        // the same); backgrounds on for the grey heading cells.
        let print = PrintConfiguration::builder()
            .size(PrintSize {
                width: 29.7,
                height: 42.0,
            })
            .margins(PrintMargins {
                top: 1.8,
                bottom: 1.6,
                left: 2.0,
                right: 2.0,
            })
            .background(true)
            .build()
            .unwrap();
        Self { client, print }
    }

    /// Replaces the tab's document with `html` and waits for its fonts, as
    /// puppeteer's `page.setContent` does; returns the application number
    /// the new page shows.
    async fn set_content(&self, html: &str) -> String {
        let shown = self
            .client
            .execute_async(
                "const [html, done] = arguments;
                 document.open(); document.write(html); document.close();
                 document.fonts.ready.then(() => done(document.querySelector('.number').textContent));",
                vec![json!(html)],
            )
            .await
            .expect("the page is set");
        shown.as_str().unwrap_or_default().to_owned()
    }

    async fn print(&self) -> Vec<u8> {
        self.client
            .print(self.print.clone())
            .await
            .expect("Chromium prints the page")
    }
}

/// One form through the warm browser: (template + set + print ms, print ms,
/// PDF).
async fn chromium_form(warm: &Warm, i: usize, qr: &str) -> (f64, f64, Vec<u8>) {
    let start = Instant::now();
    let d = form_data::data(i);
    let page = html(&d, qr);
    let shown = warm.set_content(&page).await;
    let printing = Instant::now();
    let pdf = warm.print().await;
    let end = Instant::now();
    let id = d["application_id"].as_str().unwrap();
    assert!(shown.contains(id), "the page shows {shown:?}, not {id}");
    if let Err(e) = check_a3(&pdf) {
        let kept = target_dir().join("form-pdf-chromium/failed.pdf");
        let _ = std::fs::write(&kept, &pdf);
        panic!(
            "Chromium's PDF of form {i}: {e} (kept as {})",
            kept.display()
        );
    }
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    (ms(end - start), ms(end - printing), pdf)
}

fn typst_form(renderer: &FormRenderer, i: usize, qr: &str) -> (f64, Vec<u8>) {
    let start = Instant::now();
    let pdf = renderer.render(&form_data::data(i), qr).unwrap();
    (start.elapsed().as_secs_f64() * 1000.0, pdf)
}

fn env_number(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run(renderer: FormRenderer, chromium: PathBuf, chromedriver: PathBuf) {
    let runs = env_number("BENCH_PDF_RUNS", 200).max(BLOCK);
    let cold_runs = env_number("BENCH_PDF_COLD", 5);
    let out = target_dir().join("form-pdf-chromium");
    std::fs::create_dir_all(&out).unwrap();
    let qr = form_data::qr_svg();
    std::fs::write(out.join("form.html"), html(&form_data::data(0), &qr)).unwrap();

    let started = Instant::now();
    let driver = Driver::start(&chromedriver);
    let warm = Warm::start(&chromium, &driver).await;
    let start_ms = started.elapsed().as_secs_f64() * 1000.0;

    for i in 0..WARM_UP {
        chromium_form(&warm, i, &qr).await;
        typst_form(&renderer, i, &qr);
    }
    let tree_before = memory(&descendants(driver.child.id()));
    let self_before = proc_kib("/proc/self/status", "VmRSS:") / 1024;

    let mut typst_ms = Vec::with_capacity(runs);
    let mut chromium_ms = Vec::with_capacity(runs);
    let mut print_ms = Vec::with_capacity(runs);
    let (mut typst_pdf, mut chromium_pdf) = (vec![], vec![]);
    let mut i = WARM_UP;
    while typst_ms.len() < runs || chromium_ms.len() < runs {
        // Blocks alternate, typst first; each form is another candidate's.
        for _ in 0..BLOCK {
            if typst_ms.len() < runs {
                let (t, pdf) = typst_form(&renderer, i, &qr);
                typst_ms.push(t);
                typst_pdf = pdf;
            }
            i += 1;
        }
        for _ in 0..BLOCK {
            if chromium_ms.len() < runs {
                let (t, p, pdf) = chromium_form(&warm, i, &qr).await;
                chromium_ms.push(t);
                print_ms.push(p);
                chromium_pdf = pdf;
            }
            i += 1;
        }
    }
    let tree_after = memory(&descendants(driver.child.id()));
    let self_after = proc_kib("/proc/self/status", "VmRSS:") / 1024;
    warm.client.close().await.unwrap();
    drop(driver);
    std::fs::write(out.join("typst.pdf"), &typst_pdf).unwrap();
    std::fs::write(out.join("chromium.pdf"), &chromium_pdf).unwrap();

    // Cold: a new Chromium process per form, printing a file.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("form.html");
    std::fs::write(&page, html(&form_data::data(1), &qr)).unwrap();
    let url = url::Url::from_file_path(&page).unwrap();
    let mut cold_ms = vec![];
    let mut cold_size = 0;
    for k in 0..cold_runs {
        let pdf_path = dir.path().join(format!("cold-{k}.pdf"));
        let start = Instant::now();
        let output = Command::new(&chromium)
            .args(CHROMIUM_FLAGS)
            .arg("--no-pdf-header-footer")
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .arg(format!("--print-to-pdf={}", pdf_path.display()))
            .arg(url.as_str())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("chromium starts");
        cold_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        let pdf = std::fs::read(&pdf_path).unwrap_or_default();
        if let Err(e) = check_a3(&pdf) {
            panic!(
                "the cold Chromium's PDF ({}): {e}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        cold_size = pdf.len();
        if k == 0 {
            std::fs::write(out.join("chromium-cold.pdf"), &pdf).unwrap();
        }
    }

    let typst = stats(&mut typst_ms);
    let chrome = stats(&mut chromium_ms);
    let print = stats(&mut print_ms);
    println!(
        "form_pdf_chromium: {runs} forms each after {WARM_UP} warm-up, alternating in blocks of {BLOCK}"
    );
    println!("| renderer | median | p95 | max | PDF size |");
    println!("|---|---|---|---|---|");
    let row = |name: &str, (median, p95, max): (f64, f64, f64), size: usize| {
        println!(
            "| {name} | {median:.2} ms | {p95:.2} ms | {max:.2} ms | {} KiB |",
            size / 1024
        );
    };
    row("typst, in-process (served)", typst, typst_pdf.len());
    row(
        "warm Chromium: template + set page + print",
        chrome,
        chromium_pdf.len(),
    );
    row("warm Chromium: print alone", print, chromium_pdf.len());
    if !cold_ms.is_empty() {
        let first = cold_ms[0];
        let cold = stats(&mut cold_ms);
        println!(
            "| cold `chromium --headless --print-to-pdf`, {cold_runs} runs (first {first:.0} ms) | {:.2} ms | | {:.2} ms | {} KiB |",
            cold.0,
            cold.2,
            cold_size / 1024
        );
        println!(
            "form_pdf_chromium: ratio cold Chromium ÷ typst (medians) {:.1}",
            cold.0 / typst.0
        );
    }
    println!(
        "form_pdf_chromium: ratio Chromium ÷ typst, medians: template + set + print {:.1}, print alone {:.1}; p95: {:.1}, {:.1}",
        chrome.0 / typst.0,
        print.0 / typst.0,
        chrome.1 / typst.1,
        print.1 / typst.1,
    );
    println!(
        "form_pdf_chromium: warm browser started in {start_ms:.0} ms; Chromium's {} processes: RSS sum {} MiB, PSS sum {} MiB after warm-up; {} processes, {} / {} MiB at the end",
        tree_before.0, tree_before.1, tree_before.2, tree_after.0, tree_after.1, tree_after.2
    );
    println!(
        "form_pdf_chromium: this process (typst renderer, WebDriver client) RSS {self_before} → {self_after} MiB; sample PDFs in {}",
        out.display()
    );
}

fn main() {
    let renderer = match FormRenderer::new(&[]) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("form_pdf_chromium benchmark skipped: {e}");
            return;
        }
    };
    let chromium = program("ZIKAO_CHROMIUM", &["chromium", "chromium-browser"]);
    let chromedriver = program("ZIKAO_CHROMEDRIVER", &["chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        eprintln!(
            "form_pdf_chromium benchmark skipped: chromium or chromedriver not found on PATH \
             (Debian packages chromium and chromium-driver, or set ZIKAO_CHROMIUM and ZIKAO_CHROMEDRIVER)"
        );
        return;
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(renderer, chromium, chromedriver));
}
