//! Renders the A3 登记表 many times and prints the median, p95 and the resident
//! memory before and after: `cargo bench --bench form_pdf`.

use std::time::Instant;

use zikao::pdf::FormRenderer;

#[path = "shared/form_data.rs"]
mod form_data;
use form_data::data;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

pub fn main() {
    // BENCH_PDF_FONTS=a.ttc,b.ttf compares other font files with the default.
    let fonts: Vec<std::path::PathBuf> = std::env::var("BENCH_PDF_FONTS")
        .map(|v| v.split(',').map(Into::into).collect())
        .unwrap_or_default();
    let renderer = match FormRenderer::new(&fonts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("form_pdf benchmark skipped: {e}");
            return;
        }
    };
    let qr = form_data::qr_svg();
    // Tagged (the typst default) and untagged PDFs, in alternating blocks of
    // the same run, so that the two are compared on the same machine load.
    let mut renderer = renderer;
    for i in 0..20 {
        renderer.render(&data(i), &qr).unwrap();
    }
    let before = rss_kib();
    let runs = 1000;
    let block = 100;
    let mut times = [Vec::with_capacity(runs), Vec::with_capacity(runs)];
    let mut size = [0, 0];
    for i in 0..runs * 2 {
        let mode = (i / block) % 2; // 0: untagged, 1: tagged (the platform's)
        renderer.set_tagged(mode == 1);
        let start = Instant::now();
        size[mode] = renderer.render(&data(i), &qr).unwrap().len();
        times[mode].push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let after = rss_kib();
    for t in &mut times {
        t.sort_by(f64::total_cmp);
    }
    for (mode, name) in ["untagged", "tagged (served)"].iter().enumerate() {
        let t = &times[mode];
        println!(
            "form_pdf {name}: {runs} renders, median {:.2} ms, p95 {:.2} ms, max {:.2} ms, {} KiB each",
            t[runs / 2],
            t[runs * 95 / 100],
            t[runs - 1],
            size[mode] / 1024,
        );
    }
    println!(
        "form_pdf: median ratio untagged/tagged {:.2}; RSS {} MiB after warm-up, {} MiB after {} renders",
        times[0][runs / 2] / times[1][runs / 2],
        before / 1024,
        after / 1024,
        runs * 2
    );
}
