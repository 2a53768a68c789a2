//! 手机上传: the confirmation photos handed over to a phone by a single-use,
//! short-lived link, and nothing else of the account reachable from the phone.

use chrono::Duration;
use scraper::{Html, Selector};

use crate::both_backends;
use crate::fixtures;
use crate::harness::{Backend, TestApp};
use crate::pages::{get, post};
use crate::transfer_pages::{
    candidate_browser, create_through_the_form, image_sources, kind_error, upload,
    upload_materials_and_submit,
};

/// The address inside the hand-off page, as a path of the test server.
fn link_path(html: &str) -> String {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(".handoff-url code").unwrap();
    let url: String = doc
        .select(&sel)
        .next()
        .expect("link shown")
        .text()
        .collect();
    let at = url.find("/m/").expect("a /m/ link");
    url[at..].trim().to_owned()
}

async fn new_link(t: &TestApp, b: &reqwest::Client, id: &str) -> String {
    let confirm = get(t, b, &format!("/transfer/{id}/confirm")).await;
    assert!(confirm.html.contains("用手机拍照上传"));
    let page = post(
        t,
        b,
        &format!("/transfer/{id}/handoff"),
        &[("csrf", &confirm.csrf())],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("<svg"), "the QR code is in the page");
    assert!(page.html.contains("只能使用一次"));
    link_path(&page.html)
}

pub(crate) async fn a_phone_uploads_the_confirmation_photos(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let owner = &demo.candidates[0];
    let b = candidate_browser(&t, owner).await;
    let id = create_through_the_form(&t, &b, owner).await;

    // No link while the application is still a draft.
    let materials = get(&t, &b, &format!("/transfer/{id}/materials")).await;
    let early = post(
        &t,
        &b,
        &format!("/transfer/{id}/handoff"),
        &[("csrf", &materials.csrf())],
    )
    .await;
    assert_eq!(early.status, 409, "{}", early.html);

    upload_materials_and_submit(&t, &b, &id).await;
    let material_file =
        image_sources(&get(&t, &b, &format!("/transfer/{id}/materials")).await.html)
            .into_iter()
            .next()
            .and_then(|src| {
                src.split("/files/")
                    .nth(1)
                    .map(|s| s.trim_end_matches("?size=thumb").to_owned())
            })
            .expect("a material image");

    // Someone else cannot make a link for this application.
    let stranger = candidate_browser(&t, &demo.candidates[1]).await;
    let theirs = get(&t, &stranger, "/center").await;
    let refused = post(
        &t,
        &stranger,
        &format!("/transfer/{id}/handoff"),
        &[("csrf", &theirs.csrf())],
    )
    .await;
    assert_eq!(refused.status, 404);

    let link = new_link(&t, &b, &id).await;
    let phone = t.browser();
    let opened = get(&t, &phone, &link).await;
    assert_eq!((opened.status, opened.location()), (303, "/m/upload"));
    let cookie = opened
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(cookie.starts_with("zk_phone="), "{cookie}");
    assert!(
        cookie.contains("path=/m") && cookie.contains("httponly"),
        "{cookie}"
    );

    // Single use: a second phone (or a replay) gets nothing.
    let other_phone = t.browser();
    let again = get(&t, &other_phone, &link).await;
    assert_eq!(again.status, 410);
    assert!(again.html.contains("二维码已失效"));
    let nothing = get(&t, &other_phone, "/m/upload").await;
    assert_eq!(nothing.status, 401);

    let page = get(&t, &phone, "/m/upload").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("本人登记表照片上传"));
    assert!(page.html.contains(&owner.name));
    assert!(
        !page.html.contains(&owner.id_number),
        "no 身份证号 on the phone"
    );
    let csrf = page.csrf();

    let png = upload(
        &t,
        &phone,
        "/m/upload/signed_form",
        &csrf,
        fixtures::png(800, 600),
    )
    .await;
    assert_eq!(png.status, 422, "{}", png.html);
    assert!(
        kind_error(&png.html, "signed_form").is_some(),
        "{}",
        png.html
    );

    let sent = upload(
        &t,
        &phone,
        "/m/upload/signed_form",
        &csrf,
        fixtures::standard(),
    )
    .await;
    assert_eq!(
        (sent.status, sent.location()),
        (303, "/m/upload"),
        "{}",
        sent.html
    );
    let page = get(&t, &phone, "/m/upload").await;
    let thumb = Html::parse_document(&page.html)
        .select(&Selector::parse("img[src^=\"/m/files/\"]").unwrap())
        .map(|e| e.value().attr("src").unwrap().to_owned())
        .next()
        .expect("the phone sees its photo");
    assert_eq!(get(&t, &phone, &thumb).await.status, 200);

    // The phone reaches nothing else: not the materials, not the account.
    assert_eq!(
        get(&t, &phone, &format!("/m/files/{material_file}"))
            .await
            .status,
        404
    );
    let center = get(&t, &phone, "/center").await;
    assert_ne!(center.status, 200);
    assert_ne!(
        get(&t, &phone, &format!("/transfer/{id}")).await.status,
        200
    );

    // The computer sees the photo the phone sent.
    let confirm = get(&t, &b, &format!("/transfer/{id}/confirm")).await;
    assert_eq!(image_sources(&confirm.html).len(), 1, "{}", confirm.html);

    // A link not opened within ten minutes is dead.
    let stale = new_link(&t, &b, &id).await;
    t.clock.advance(Duration::minutes(11));
    assert_eq!(get(&t, &t.browser(), &stale).await.status, 410);

    // The phone's session ends after thirty minutes at the latest.
    let fresh = new_link(&t, &b, &id).await;
    let phone = t.browser();
    assert_eq!(get(&t, &phone, &fresh).await.status, 303);
    assert_eq!(get(&t, &phone, "/m/upload").await.status, 200);
    t.clock.advance(Duration::minutes(16));
    assert_eq!(get(&t, &phone, "/m/upload").await.status, 200);
    t.clock.advance(Duration::minutes(16));
    // In use all along, yet over its thirty minutes.
    assert_eq!(get(&t, &phone, "/m/upload").await.status, 401);
}

both_backends!(a_phone_uploads_the_confirmation_photos);
