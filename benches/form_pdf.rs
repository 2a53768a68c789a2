//! Renders the A3 登记表 many times and prints the median, p95 and the resident
//! memory before and after: `cargo bench --bench form_pdf`.

use std::time::Instant;

use zikao::pdf::FormRenderer;

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

fn data(i: usize) -> serde_json::Value {
    let courses: Vec<_> = (0..12)
        .map(|c| {
            serde_json::json!({"code": format!("{:05}", 150 + c), "name": format!("财务管理学（{c}）"),
                "credits": 4, "score": (60 + (i + c) % 40).to_string(), "passed": "2024年04月"})
        })
        .collect();
    serde_json::json!({
        "application_id": format!("01a2{i:028}"), "province_name": "山西省",
        "organisation": "山西省招生考试管理中心",
        "title": "山西省高等教育自学考试转考（转出）登记表", "name": "王晓明", "gender": "男",
        "birth_date": "1998-03-12", "id_number": "140105199803122319", "phone": "13803510231",
        "ticket": "140119100001", "specialty_code": "120203K", "specialty_level": "本科",
        "specialty_name": "会计学", "from_place": "山西省太原市", "reason": "工作调动",
        "courses": courses, "target_place": "河南省", "target_ticket": "410119000001",
        "target_specialty_name": "会计学", "target_specialty_code": "120203K",
        "target_specialty_level": "本科", "state_label": "待审核", "hash": "EF9BF2493220058B",
        "generated_at": "2026-12-03 10:00", "total_credits": 48,
    })
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
    let qr = qrcode::QrCode::new(b"https://zikao.example.cn/verify/x/EF9BF2493220058B")
        .unwrap()
        .render::<qrcode::render::svg::Color>()
        .build();
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
