//! `/metrics`: the node's figures in the Prometheus text format, only to a
//! scraper on this machine or one bearing the configured token.

use serde_json::json;

use crate::fixtures;
use crate::harness::{Backend, TestApp};
use crate::transfer_api::{add_materials, candidate, new_draft, put_jpeg, submit};

async fn scrape(t: &TestApp, headers: &[(&str, &str)]) -> (u16, String) {
    let mut req = t.api().get(t.url("/metrics"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_uploads_renders_and_failures_are_counted() {
    let t = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let demo = t.demo().await;
    let wang = &demo.candidates[0];
    let token = candidate(&t, wang).await;
    let id = new_draft(&t, &token).await;
    let path = format!("/api/v1/transfer-outs/{id}/materials/id_card");
    assert_eq!(
        put_jpeg(&t, &token, &path, fixtures::standard()).await.0,
        201
    );
    assert_eq!(
        put_jpeg(&t, &token, &path, fixtures::png(800, 800)).await.0,
        422
    );
    let (status, _) = t
        .post_json(
            "/api/v1/session",
            None,
            json!({"login": wang.id_number, "password": "wrong-password-1"}),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = t
        .get_json(&format!("/api/v1/transfer-outs/{id}"), Some(&token))
        .await;
    assert_eq!(status, 200);
    let _ = t
        .api()
        .get(t.url("/no/such/page/140105199803122319"))
        .send()
        .await;

    let (status, text) = scrape(&t, &[]).await;
    assert_eq!(status, 200, "a scraper on this machine reads the figures");
    for line in [
        r#"zikao_http_requests_total{method="POST",route="/api/v1/session",status="401"} 1"#,
        r#"zikao_http_requests_total{method="GET",route="/api/v1/transfer-outs/{id}",status="200"} 1"#,
        r#"zikao_photo_uploads_total{field="id_card",outcome="stored"} 1"#,
        r#"zikao_photo_uploads_total{field="id_card",outcome="refused"} 1"#,
        r#"zikao_login_failures_total{who="candidate"} 1"#,
        r#"zikao_review_queue_length{queue="transfer_out"} 0"#,
        r#"route="(unmatched)",status="404""#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    assert!(text.contains("zikao_http_request_duration_seconds_bucket"));
    assert!(text.contains("zikao_photo_upload_bytes_bucket"));
    assert!(
        !text.contains(&id),
        "no id of an application in the figures"
    );
    assert!(
        !text.contains(&wang.id_number),
        "no 身份证号 in the figures"
    );
    assert!(
        !text.contains("140105199803122319"),
        "unmatched paths are not kept"
    );

    // The 登记表 render is counted.
    add_materials(&t, &token, &id).await;
    assert_eq!(submit(&t, &token, &id).await.0, 200);
    let res = t
        .api()
        .get(t.url(&format!("/api/v1/transfer-outs/{id}/form.pdf")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, text) = scrape(&t, &[]).await;
    assert!(
        text.contains(r#"zikao_pdf_renders_total{document="registration_form"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"zikao_pdf_render_duration_seconds_count{document="registration_form"} 1"#)
    );

    let (status, _) = scrape(&t, &[("x-forwarded-for", "203.0.113.9")]).await;
    assert_eq!(
        status, 404,
        "a request through a proxy does not see the figures"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_only_its_bearer_reads_the_figures() {
    let t = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.metrics_token = Some(zikao::config::Secret::new("scrape-me-7f3a".into()));
    })
    .await
    .unwrap();
    assert_eq!(scrape(&t, &[]).await.0, 404);
    assert_eq!(
        scrape(&t, &[("authorization", "Bearer wrong")]).await.0,
        404
    );
    let (status, text) = scrape(&t, &[("authorization", "Bearer scrape-me-7f3a")]).await;
    assert_eq!(status, 200);
    assert!(
        text.contains("# TYPE zikao_http_requests counter"),
        "{text}"
    );
}
