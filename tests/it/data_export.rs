//! The candidate's own copy of their data: a zip of data.json and their
//! images, only their own, at most once a minute.

use std::io::{Cursor, Read};

use serde_json::Value;

use crate::both_backends;
use crate::harness::{Backend, TestApp};

pub(crate) async fn the_copy_holds_the_candidates_own_data_only(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let me = demo
        .candidates
        .iter()
        .find(|c| {
            c.password.is_some()
                && c.identity_state == Some(zikao::domain::IdentityState::AwaitingIdentity)
        })
        .expect("a demo candidate awaiting identity");
    let token = t
        .login(&me.id_number, me.password.as_deref().unwrap())
        .await;
    let (status, _) = t
        .post_json(
            "/api/v1/me/consent",
            Some(&token),
            serde_json::json!({"accepted": true}),
        )
        .await;
    assert_eq!(status, 204);
    let res = t
        .api()
        .put(t.url("/api/v1/me/identity-photos/portrait"))
        .bearer_auth(&token)
        .header("content-type", "image/jpeg")
        .body(crate::fixtures::standard())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);

    let res = t
        .api()
        .get(t.url("/api/v1/me/data-export"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert!(names.contains(&"data.json".to_owned()), "{names:?}");
    assert!(
        names.contains(&"images/identity-identity-portrait.jpg".to_owned()),
        "{names:?}"
    );
    let mut text = String::new();
    zip.by_name("data.json")
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let data: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(data["个人资料"]["身份证号"], me.id_number.as_str());
    assert_eq!(data["个人资料"]["姓名"], me.name.as_str());
    let actions: Vec<&str> = data["操作记录"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["操作"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"identity.consent"), "{actions:?}");
    for other in demo
        .candidates
        .iter()
        .filter(|c| c.id_number != me.id_number)
    {
        assert!(!text.contains(&other.id_number), "another candidate's data");
        assert!(!text.contains(&other.name), "another candidate's name");
    }

    let again = t
        .api()
        .get(t.url("/api/v1/me/data-export"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 429, "once a minute");

    let anonymous = t
        .api()
        .get(t.url("/api/v1/me/data-export"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

async fn the_personal_center_links_the_copy(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let me = demo
        .candidates
        .iter()
        .find(|c| {
            c.password.is_some() && c.identity_state == Some(zikao::domain::IdentityState::Verified)
        })
        .expect("a verified demo candidate");
    let b = t.browser();
    crate::pages::sign_in(&t, &b, &me.id_number, me.password.as_deref().unwrap()).await;
    let center = crate::pages::get(&t, &b, "/center").await;
    assert!(
        crate::pages::has(&center.html, "a[href=\"/me/data-export\"]"),
        "{}",
        center.html
    );
    let res = b.get(t.url("/me/data-export")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    zip.by_name("data.json")
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let data: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(data["个人资料"]["身份证号"], me.id_number.as_str());

    let anonymous = t
        .browser()
        .get(t.url("/me/data-export"))
        .send()
        .await
        .unwrap();
    assert_ne!(anonymous.status().as_u16(), 200);
}

both_backends!(
    the_copy_holds_the_candidates_own_data_only,
    the_personal_center_links_the_copy,
);
