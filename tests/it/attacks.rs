//! An attack corpus against the uploads, the forms and the sessions: each
//! hostile input is refused with a clear Chinese message, or accepted and then
//! served safely; nothing is stored for a refused upload.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::both_backends;
use crate::fixtures;
use crate::harness::{Backend, TestApp};
use crate::pages::{get, sign_in};
use crate::transfer_api::{candidate, get_bytes, new_draft, put_jpeg, stored_objects};
use crate::transfer_pages::{candidate_browser, kind_error};

/// A progressive JPEG (several scans) of `w`×`h`.
fn progressive(w: u16, h: u16) -> Vec<u8> {
    let pixels: Vec<u8> = (0..u32::from(w) * u32::from(h))
        .flat_map(|i| {
            let (x, y) = (i % u32::from(w), i / u32::from(w));
            let v = if (x / 8 + y / 8) % 2 == 0 { 40 } else { 200 } as u8;
            [v, v / 2, 255 - v]
        })
        .collect();
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 85);
    enc.set_progressive(true);
    enc.encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// A CMYK JPEG (Adobe APP14) of `w`×`h`.
fn cmyk(w: u16, h: u16) -> Vec<u8> {
    let pixels: Vec<u8> = (0..u32::from(w) * u32::from(h))
        .flat_map(|i| {
            let (x, y) = (i % u32::from(w), i / u32::from(w));
            let v = if (x / 8 + y / 8) % 2 == 0 { 20 } else { 180 } as u8;
            [v, 255 - v, v / 3, 30]
        })
        .collect();
    let mut out = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut out, 85);
    enc.encode(&pixels, w, h, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    out
}

/// `jpeg` with `segments` APP1 blocks of 65,533 bytes of junk after SOI.
fn with_huge_exif(jpeg: &[u8], segments: usize) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    for i in 0..segments {
        out.extend_from_slice(&[0xFF, 0xE1, 0xFF, 0xFF]);
        let mut body = b"Exif\0\0".to_vec();
        body.resize(65_533, b'A' + (i % 26) as u8);
        out.extend_from_slice(&body);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Hostile files through the API: refused with the reason, or stored clean.
async fn hostile_files_are_refused_or_stored_clean(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let id = new_draft(&t, &token).await;
    let path = format!("/api/v1/transfer-outs/{id}/materials/id_card");
    let photo = fixtures::standard();

    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" width="800" height="600"><script>alert(document.cookie)</script></svg>"#.to_vec();
    let refused: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "an SVG with a script",
            svg,
            "文件不是JPG格式的图片，请上传jpg格式的照片",
        ),
        ("zero bytes", vec![], "请选择要上传的照片"),
        (
            "a file of NUL bytes",
            vec![0; 4096],
            "文件不是JPG格式的图片，请上传jpg格式的照片",
        ),
        (
            "HTML with a JPEG's first bytes",
            [
                &[0xFF, 0xD8, 0xFF][..],
                b"<html><script>alert(1)</script></html>",
            ]
            .concat(),
            "图片文件已损坏或不完整，请重新拍摄后上传",
        ),
        (
            "a truncated JPEG",
            fixtures::truncated(&photo),
            "图片文件已损坏或不完整，请重新拍摄后上传",
        ),
        (
            "a truncated progressive JPEG",
            fixtures::truncated(&progressive(800, 600)),
            "图片文件已损坏或不完整，请重新拍摄后上传",
        ),
        (
            "EXIF blocks past the size limit",
            with_huge_exif(&photo, 100),
            "图片大小不得大于6M",
        ),
    ];
    for (what, bytes, message) in refused {
        let (status, body) = put_jpeg(&t, &token, &path, bytes).await;
        assert_eq!(status, 422, "{what}: {body}");
        assert_eq!(body["fields"]["id_card"], message, "{what}");
        assert_eq!(t.app.db.count_files().await.unwrap(), 0, "{what}: no row");
        assert_eq!(stored_objects(&t).await, 0, "{what}: no file");
    }

    // Accepted, and stored as a plain JPEG: polyglots lose what follows the
    // image, metadata is dropped, unusual encodings still decode.
    let mut html_polyglot = photo.clone();
    html_polyglot
        .extend_from_slice(b"<html><body><script>alert(document.cookie)</script></body></html>");
    let mut zip_polyglot = photo.clone();
    zip_polyglot
        .extend_from_slice(b"PK\x03\x04\x14\0\0\0\x08\0evil.sh#!/bin/sh\nrm -rf /\nPK\x05\x06");
    let accepted: Vec<(&str, Vec<u8>, &[u8])> = vec![
        ("a JPEG+HTML polyglot", html_polyglot, b"<script"),
        ("a JPEG+ZIP polyglot", zip_polyglot, b"PK\x03\x04"),
        (
            "a 4 MB EXIF block",
            with_huge_exif(&photo, 64),
            b"AAAAAAAAAAAAAAAA",
        ),
        ("a progressive JPEG", progressive(800, 600), b"<script"),
        ("a CMYK JPEG", cmyk(800, 600), b"<script"),
    ];
    for (what, bytes, gone) in accepted {
        let (status, body) = put_jpeg(&t, &token, &path, bytes).await;
        assert_eq!(status, 201, "{what}: {body}");
        let file = body["file_id"].as_str().unwrap();
        let (status, kind, served) = get_bytes(
            &t,
            &token,
            &format!("/api/v1/transfer-outs/{id}/files/{file}"),
        )
        .await;
        assert_eq!((status, kind.as_str()), (200, "image/jpeg"), "{what}");
        assert!(
            served.starts_with(&[0xFF, 0xD8]) && served.ends_with(&[0xFF, 0xD9]),
            "{what}"
        );
        assert!(
            !contains(&served, gone),
            "{what}: the payload is not served"
        );
        assert!(
            served.len() < 1024 * 1024,
            "{what}: {} bytes served",
            served.len()
        );
        image::load_from_memory_with_format(&served, image::ImageFormat::Jpeg)
            .unwrap_or_else(|e| panic!("{what}: the stored file decodes: {e}"));
    }

    // A lying Content-Type changes nothing: the bytes decide.
    let res = t
        .api()
        .put(t.url(&path))
        .bearer_auth(&token)
        .header("content-type", "text/html")
        .body(fixtures::png(800, 600))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["fields"]["id_card"],
        "文件不是JPG格式的图片，请上传jpg格式的照片"
    );
}

/// The pages' upload form: file names with path characters and lying part
/// types are judged by content and never reach the file system as names.
async fn page_uploads_ignore_names_and_types(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let id = new_draft(&t, &token).await;
    let b = candidate_browser(&t, &demo.candidates[0]).await;
    let csrf = get(&t, &b, &format!("/transfer/{id}/materials"))
        .await
        .csrf();
    let path = format!("/transfer/{id}/materials/id_card");

    let names = [
        "../../../../etc/cron.d/evil.jpg",
        "..\\..\\windows\\win.ini.jpg",
        "%2e%2e%2f%2e%2e%2fescape.jpg",
        "<img src=x onerror=alert(1)>.jpg",
    ];
    for name in names {
        let form = Form::new().text("csrf", csrf.clone()).part(
            "photo",
            Part::bytes(fixtures::small())
                .file_name(name)
                .mime_str("text/html")
                .unwrap(),
        );
        let res = b.post(t.url(&path)).multipart(form).send().await.unwrap();
        assert_eq!(res.status(), 303, "{name:?}: accepted by its content");
    }
    let page = get(&t, &b, &format!("/transfer/{id}/materials")).await;
    assert!(
        !page.html.contains("onerror=alert"),
        "no file name is echoed"
    );
    assert!(!page.html.contains("evil"), "no file name is echoed");
    // Nothing was written outside the file store.
    let parent = t.dir.path().parent().unwrap();
    for leaked in ["etc", "escape.jpg", "windows"] {
        assert!(
            !parent.join(leaked).exists(),
            "{leaked} outside the data directory"
        );
        assert!(
            !t.dir.path().join(leaked).exists(),
            "{leaked} in the data directory"
        );
    }
    assert_eq!(t.app.db.count_files().await.unwrap(), names.len() as i64);

    // An SVG sent as image/jpeg with a .jpg name: refused beside the kind.
    let form = Form::new().text("csrf", csrf.clone()).part(
        "photo",
        Part::bytes(b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec())
            .file_name("photo.jpg")
            .mime_str("image/jpeg")
            .unwrap(),
    );
    let res = b.post(t.url(&path)).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert_eq!(
        kind_error(&html, "id_card").as_deref(),
        Some("错误：文件不是JPG格式的图片，请上传jpg格式的照片")
    );
    assert_eq!(t.app.db.count_files().await.unwrap(), names.len() as i64);

    // A CSRF token of another session (an attacker's own page) is refused and
    // the photo not stored.
    let attacker = t.browser();
    let theirs = get(&t, &attacker, "/").await.csrf();
    let form = Form::new()
        .text("csrf", theirs)
        .part("photo", Part::bytes(fixtures::small()).file_name("a.jpg"));
    let res = b.post(t.url(&path)).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("页面已过期"));
    // No token at all, and a body that is no multipart form.
    let form = Form::new().part("photo", Part::bytes(fixtures::small()).file_name("a.jpg"));
    let res = b.post(t.url(&path)).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = b
        .post(t.url(&path))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(t.app.db.count_files().await.unwrap(), names.len() as i64);
}

/// 10,000-character fields and invalid UTF-8: a Chinese message, never a 500,
/// nothing saved.
async fn oversized_and_malformed_fields_are_refused(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let long = "转".repeat(10_000);

    let (status, body) = t
        .post_json(
            "/api/v1/transfer-outs",
            Some(&token),
            json!({"target_province": long, "reason": long, "target_ticket": long}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["fields"]["target_ticket"], "准考证号应为12位数字");
    assert!(
        body["fields"]["reason"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(
        !body.to_string().contains(&"转".repeat(50)),
        "the input is not echoed"
    );
    let (_, list) = t.get_json("/api/v1/transfer-outs", Some(&token)).await;
    assert_eq!(list, json!([]), "nothing was created");

    let (status, body) = t
        .post_json(
            "/api/v1/session",
            None,
            json!({"login": long, "password": long}),
        )
        .await;
    assert!(status == 401 || status == 422, "{status} {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_ascii()),
        "{body}"
    );

    // Invalid UTF-8 in a JSON body.
    let res = t
        .api()
        .post(t.url("/api/v1/transfer-outs"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(b"{\"target_province\": \"\xFF\xFE\", \"reason\": \"x\"}".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_ascii()),
        "{body}"
    );

    // The same on the pages: a 10,000-character ticket, then invalid UTF-8.
    let b = t.browser();
    let page = sign_in(&t, &b, &long, &long).await;
    assert!(page.status < 500, "{}", page.status);
    assert!(page.html.contains("<html"), "a page");
    let home = get(&t, &b, "/").await;
    let res = b
        .post(t.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={}&login=%FF%FE&password=%C0%AF", home.csrf()))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let html = res.text().await.unwrap();
    assert!((400..500).contains(&status), "{status}");
    assert!(
        html.contains("<html") && !html.contains("%FF"),
        "a Chinese page: {html}"
    );
}

/// A session token is worthless after logout, on the API and on the pages.
async fn tokens_die_at_logout(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let (status, _) = t.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(status, 200);
    let res = t
        .api()
        .delete(t.url("/api/v1/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let (status, body) = t.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["message"], "请先登录");

    // The page cookie, copied before logout and replayed after it.
    let b = t.browser();
    let c = &demo.candidates[0];
    let signed_in = sign_in(&t, &b, &c.id_number, c.password.as_deref().unwrap()).await;
    let cookie = signed_in
        .set_cookie("zk_session")
        .expect("a session cookie");
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let replay = |cookie: String| {
        let t = &t;
        async move {
            t.api()
                .get(t.url("/center"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        replay(cookie.clone()).await,
        200,
        "the copied cookie works while signed in"
    );
    let csrf = get(&t, &b, "/center").await.csrf();
    let res = b
        .post(t.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    assert_eq!(replay(cookie).await, 303, "the stolen cookie is signed out");
}

both_backends!(
    hostile_files_are_refused_or_stored_clean,
    page_uploads_ignore_names_and_types,
    oversized_and_malformed_fields_are_refused,
    tokens_die_at_logout,
);
