//! The data of the 登记表 the PDF benchmarks render: one candidate with 12
//! courses, a little different for each `i` (application number, scores).

pub fn data(i: usize) -> serde_json::Value {
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

/// The QR code of the form's verification link, as SVG.
pub fn qr_svg() -> String {
    qrcode::QrCode::new(b"https://zikao.example.cn/verify/x/EF9BF2493220058B")
        .unwrap()
        .render::<qrcode::render::svg::Color>()
        .build()
}
