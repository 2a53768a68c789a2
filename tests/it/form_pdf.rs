//! The A3 登记表 PDF and its verification page.

use serde_json::json;

use crate::both_backends;
use crate::harness::{Backend, TestApp};

/// Creates, fills and submits an application as the first demo candidate; returns
/// (token, application id).
pub async fn submitted_application(t: &TestApp) -> (String, String) {
    let demo = t.demo().await;
    let c = &demo.candidates[0];
    let token = t.login(&c.id_number, c.password.as_deref().unwrap()).await;
    let form = json!({"target_province": "41", "reason": "work_relocation", "target_ticket": "410119000001"});
    let (status, body) = t
        .post_json("/api/v1/transfer-outs", Some(&token), form)
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let photo = photo();
    for kind in [
        "id_card",
        "passed_courses",
        "target_ticket",
        "target_transcript",
    ] {
        let res = t
            .api()
            .put(t.url(&format!("/api/v1/transfer-outs/{id}/materials/{kind}")))
            .bearer_auth(&token)
            .header("content-type", "image/jpeg")
            .body(photo.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    let (status, body) = t
        .post_json(
            &format!("/api/v1/transfer-outs/{id}/submit"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (token, id)
}

async fn the_form_is_a3_and_holds_the_name_and_every_course(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let (token, id) = submitted_application(&t).await;

    let res = t
        .api()
        .get(t.url(&format!("/api/v1/transfer-outs/{id}/form.pdf")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    let text = pdf_text(&pdf);
    assert!(text.contains("王晓明"), "name in the text layer");
    let (_, eligibility) = t
        .get_json("/api/v1/transfer-outs/eligibility", Some(&token))
        .await;
    for course in eligibility["movable"].as_array().unwrap() {
        let name = course["name"].as_str().unwrap();
        assert!(text.contains(name), "course {name} in the text layer");
    }
    assert!(text.contains("考生签字"));
    let (width, height) = media_box(&pdf);
    assert_eq!(
        (width.round(), height.round()),
        (842.0, 1191.0),
        "A3 portrait"
    );
}

async fn the_qr_page_confirms_the_form_and_flags_a_changed_one(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let (token, id) = submitted_application(&t).await;
    let (_, view) = t
        .get_json(&format!("/api/v1/transfer-outs/{id}"), Some(&token))
        .await;
    assert_eq!(view["state"], "awaiting_confirmation");
    let row = t.app.db.transfer(&id).await.unwrap().unwrap();
    let hash = zikao::service::form_hash(&t.app.registration_form(&row).await.unwrap());

    let page = t
        .api()
        .get(t.url(&format!("/verify/{id}/{hash}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("内容与系统记录一致"));
    assert!(page.contains("王**"));
    assert!(!page.contains("王晓明"), "the public page masks the name");

    let forged = t
        .api()
        .get(t.url(&format!("/verify/{id}/0000000000000000")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(forged.contains("不一致"));
    let unknown = t
        .api()
        .get(t.url("/verify/nope/0000000000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

/// Width and height of the first page's MediaBox.
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

/// The text of a PDF's content streams, decoded through its ToUnicode maps.
fn pdf_text(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(pdf).unwrap_or_default()
}

both_backends!(
    the_form_is_a3_and_holds_the_name_and_every_course,
    the_qr_page_confirms_the_form_and_flags_a_changed_one,
);

/// A busy 800×600 JPEG that passes the material rules.
fn photo() -> Vec<u8> {
    let img = image::ImageBuffer::from_fn(800, 600, |x, y| {
        let v = ((x * 7 + y * 13) % 97) as u8 * 2 + if (x / 10 + y / 10) % 2 == 0 { 40 } else { 0 };
        image::Rgb([v, v / 2, 255 - v])
    });
    let mut out = vec![];
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    img.write_with_encoder(enc).unwrap();
    out
}
