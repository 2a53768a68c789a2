//! The sweep of unused files: objects without a row and rows nothing uses are
//! removed once past the grace period; everything in use stays.

use chrono::{Duration, Utc};
use zikao::clock::Clock;
use zikao::media::MATERIAL;

use crate::both_backends;
use crate::fixtures;
use crate::harness::{Backend, TestApp};
use crate::transfer_api::{candidate, get_bytes, new_draft, put_jpeg};

pub(crate) async fn only_unused_files_are_swept(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let id = new_draft(&t, &token).await;
    let (status, body) = put_jpeg(
        &t,
        &token,
        &format!("/api/v1/transfer-outs/{id}/materials/id_card"),
        fixtures::standard(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let used = body["file_id"].as_str().unwrap().to_owned();

    // What a process killed mid-upload leaves: a checked photo with its row but
    // no row using it, and objects whose row was never written.
    let lost = t
        .app
        .store_photo(fixtures::standard().into(), &MATERIAL, "id_card")
        .await
        .unwrap();
    let rowless = zikao::storage::new_id();
    for prefix in ["photos", "thumbs"] {
        t.app
            .files
            .put(&format!("{prefix}/{rowless}.jpg"), fixtures::small())
            .await
            .unwrap();
    }
    // A checked import file the province admin never applied.
    let staged = format!("imports/{}", zikao::storage::new_id());
    t.app
        .files
        .put(&staged, b"code,name\n".to_vec())
        .await
        .unwrap();
    let files_before = t.app.db.count_files().await.unwrap();

    // Within the grace period nothing goes, whatever it is.
    let early = t
        .app
        .sweep_files(None, t.clock.now().min(Utc::now()) - Duration::hours(1))
        .await
        .unwrap();
    assert_eq!((early.rows, early.objects), (0, 0));

    let later = Utc::now().max(t.clock.now()) + Duration::minutes(1);
    let swept = t.app.sweep_files(None, later).await.unwrap();
    assert_eq!((swept.rows, swept.objects), (1, 3));
    assert!(
        t.app.files.get(&staged).await.is_err(),
        "stale import removed"
    );
    assert_eq!(t.app.db.count_files().await.unwrap(), files_before - 1);
    assert!(t.app.db.file(&lost.file.id).await.unwrap().is_none());
    for key in [&lost.file.object_key, &lost.file.thumb_key] {
        assert!(t.app.files.get(key).await.is_err(), "{key} removed");
    }
    assert!(
        t.app
            .files
            .get(&format!("photos/{rowless}.jpg"))
            .await
            .is_err()
    );

    // The material in use is still there, whole.
    let (status, kind, bytes) = get_bytes(
        &t,
        &token,
        &format!("/api/v1/transfer-outs/{id}/files/{used}"),
    )
    .await;
    assert_eq!((status, kind.as_str()), (200, "image/jpeg"));
    assert!(bytes.len() > 1000);

    // A second sweep finds nothing more.
    let again = t.app.sweep_files(None, later).await.unwrap();
    assert_eq!((again.rows, again.objects), (0, 0));
}

both_backends!(only_unused_files_are_swept);
