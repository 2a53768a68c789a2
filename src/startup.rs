//! Building a node from its configuration, and serving it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::Keys;
use crate::media::FaceEngine;
use crate::province::Province;
use crate::service::{App, Engines};
use crate::storage::{Db, FileStore};

/// Opens storage, keys and province data, and assembles the services.
pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    let keys = Keys::load(
        config.secret_key.as_ref().map(|s| s.expose()),
        &config.data_dir,
    )
    .context("cannot load the master key")?;
    let province = match &config.province_file {
        Some(path) => Province::from_file(path).context("cannot load the province file")?,
        None => Province::shanxi(),
    };
    let db = Db::connect(
        &config.database_url(),
        config.database_max_connections,
        std::time::Duration::from_secs(config.database_wait_seconds.max(1)),
    )
    .await
    .context("cannot open the database")?;
    let files = match config.file_store {
        crate::config::FileBackend::Local => FileStore::local(&config.data_dir.join("files"))
            .context("cannot open the file directory")?,
        crate::config::FileBackend::S3 => {
            FileStore::s3(&config).context("cannot open the S3 file store")?
        }
    };
    let pdf = match crate::pdf::FormRenderer::new(&config.pdf_fonts) {
        Ok(r) => Some(Arc::new(r)),
        Err(e) => {
            tracing::warn!(error = %e, "登记表PDF cannot be rendered on this node");
            None
        }
    };
    let faces = load_faces(config.face_models_dir.clone()).await;
    let engines = Engines { pdf, faces };
    let app = App::new(db, files, engines, keys, province, clock, config);
    app.seed_registration_points()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    app.seal_audit_chain()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(app)
}

/// The face models, or `None` (said in the log) when they cannot be read.
async fn load_faces(dir: std::path::PathBuf) -> Option<FaceEngine> {
    let loaded = tokio::task::spawn_blocking(move || FaceEngine::load(&dir)).await;
    match loaded {
        Ok(Ok(engine)) => Some(engine),
        Ok(Err(why)) => {
            tracing::warn!(
                why,
                "face models not available: every identity case goes to the registration \
                 point's review (run scripts/setup or set face_models_dir)"
            );
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "face models could not be loaded");
            None
        }
    }
}

/// Serves the app on `listener` until `shutdown` resolves, with the periodic jobs.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let sweeper = tokio::spawn(housekeeping(app.clone()));
    let transfer_jobs = tokio::spawn(transfer_jobs(app.clone()));
    let router = crate::web::router(app.clone());
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    sweeper.abort();
    transfer_jobs.abort();
    app.db.close().await;
    Ok(())
}

/// Removes expired sessions and hand-off links every five minutes, and unused
/// files every hour. Every node runs it; each removal is idempotent.
async fn housekeeping(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    let mut round: u64 = 0;
    loop {
        tick.tick().await;
        match app.sweep_sessions().await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session sweep failed"),
        }
        if let Err(e) = app.sweep_handoffs().await {
            tracing::warn!(error = %e, "hand-off link sweep failed");
        }
        if round.is_multiple_of(12)
            && let Err(e) = app.sweep_recent_files().await
        {
            tracing::warn!(error = %e, "file sweep failed");
        }
        round += 1;
    }
}

/// Abandons unconfirmed transfer-outs of closed windows and sends reminders. Every
/// node runs it; guarded updates make each change happen once. Reads never wait
/// for it: an unconfirmed application of a closed window reads as abandoned.
async fn transfer_jobs(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        if let Err(e) = app.run_transfer_jobs().await {
            tracing::warn!(error = %e, "transfer-out job failed");
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
