//! `backup` and `restore` for the embedded default: one zip archive holding an
//! online snapshot of the SQLite database (`VACUUM INTO`, taken while the
//! server keeps serving), every stored file, and the master key file when the
//! key lives in the data directory.
//!
//! Order matters: the snapshot is taken first and the files copied after it.
//! Objects are written before the row that names them, so every file the
//! snapshot names already exists when the copy starts; files written later are
//! copied too and are swept as unused after a restore. A file removed between
//! the snapshot and its copy (a material deleted in that instant) is counted
//! and reported, never silently missing.
//!
//! A deployment on PostgreSQL and S3 backs up with those systems' own tools
//! (`pg_dump`, bucket versioning or replication); the command says so.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use crate::config::{Config, FileBackend};

const DB_ENTRY: &str = "zikao.db";
const KEY_ENTRY: &str = "secret.key";
const MANIFEST_ENTRY: &str = "manifest.json";
const FILES_PREFIX: &str = "files/";

/// What an archive holds, written into it as `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// The platform version that wrote it.
    pub version: String,
    /// When the database snapshot was taken (RFC 3339, UTC).
    pub taken_at: String,
    /// Stored files copied.
    pub files: u64,
    /// Bytes of the stored files.
    pub file_bytes: u64,
    /// Objects the snapshot names that were gone by the time they were copied.
    pub missing_objects: u64,
    /// Whether the master key file is in the archive.
    pub has_key_file: bool,
}

/// The SQLite file behind the configured database URL.
fn sqlite_path(config: &Config) -> anyhow::Result<PathBuf> {
    let url = config.database_url();
    if !url.starts_with("sqlite:") {
        bail!(
            "backup and restore cover the embedded SQLite database only; back up PostgreSQL \
             with pg_dump and the S3 bucket with its own versioning or replication"
        );
    }
    if config.file_store != FileBackend::Local {
        bail!(
            "backup and restore cover local files only; back up the S3 bucket with its own \
             versioning or replication"
        );
    }
    let options = SqliteConnectOptions::from_str(&url).context("invalid database_url")?;
    Ok(options.get_filename().to_path_buf())
}

fn files_dir(config: &Config) -> PathBuf {
    config.data_dir.join("files")
}

/// Writes one archive of the running (or stopped) platform to `out`.
pub async fn backup(config: &Config, out: &Path) -> anyhow::Result<Manifest> {
    let db_path = sqlite_path(config)?;
    if !db_path.exists() {
        bail!("no database at {}", db_path.display());
    }
    let work = tempfile::tempdir_in(
        out.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )
    .context("cannot make a temporary directory beside the archive")?;
    let snapshot = work.path().join(DB_ENTRY);

    // An online, consistent copy: one read transaction, writers carry on (WAL).
    let mut conn = SqliteConnectOptions::new()
        .filename(&db_path)
        .read_only(true)
        .busy_timeout(std::time::Duration::from_secs(30))
        .connect()
        .await
        .with_context(|| format!("cannot open {}", db_path.display()))?;
    let target = snapshot
        .to_str()
        .context("the archive's folder is not UTF-8")?;
    sqlx::query(&format!("VACUUM INTO '{}'", target.replace('\'', "''")))
        .execute(&mut conn)
        .await
        .context("the database snapshot failed")?;
    conn.close().await?;
    let taken_at = chrono::Utc::now().to_rfc3339();

    // The objects the snapshot names: each must be in the archive.
    let named = {
        let mut snap = SqliteConnectOptions::new()
            .filename(&snapshot)
            .read_only(true)
            .connect()
            .await?;
        let rows = sqlx::query("SELECT object_key, thumb_key FROM files")
            .fetch_all(&mut snap)
            .await?;
        snap.close().await?;
        let mut named = HashSet::new();
        for r in rows {
            named.insert(r.try_get::<String, _>("object_key")?);
            named.insert(r.try_get::<String, _>("thumb_key")?);
        }
        named
    };

    let key_file = config.data_dir.join(KEY_ENTRY);
    let with_key = config.secret_key.is_none() && key_file.exists();
    let files_root = files_dir(config);
    let tmp_out = out.with_extension("partial");
    let manifest = tokio::task::spawn_blocking({
        let tmp_out = tmp_out.clone();
        move || -> anyhow::Result<Manifest> {
            let file = File::create(&tmp_out)
                .with_context(|| format!("cannot write {}", tmp_out.display()))?;
            let mut zip = zip::ZipWriter::new(BufWriter::new(file));
            let packed = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .large_file(true);
            // Photos are JPEG already: deflating them again gains nothing.
            let stored = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Stored)
                .large_file(true);

            zip.start_file(DB_ENTRY, packed)?;
            std::io::copy(&mut BufReader::new(File::open(&snapshot)?), &mut zip)?;
            if with_key {
                zip.start_file(KEY_ENTRY, packed)?;
                zip.write_all(&std::fs::read(&key_file)?)?;
            }

            let mut copied = HashSet::new();
            let mut files = 0u64;
            let mut file_bytes = 0u64;
            let mut stack = vec![files_root.clone()];
            while let Some(dir) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for entry in entries {
                    let path = entry?.path();
                    if path.is_dir() {
                        stack.push(path);
                        continue;
                    }
                    let Ok(rel) = path.strip_prefix(&files_root) else {
                        continue;
                    };
                    let Some(key) = rel.to_str().map(|k| k.replace('\\', "/")) else {
                        continue;
                    };
                    // A file deleted since the listing is skipped, like one
                    // written after it.
                    let Ok(mut src) = File::open(&path) else {
                        continue;
                    };
                    zip.start_file(format!("{FILES_PREFIX}{key}"), stored)?;
                    file_bytes += std::io::copy(&mut src, &mut zip)?;
                    files += 1;
                    copied.insert(key);
                }
            }
            let missing_objects = named.difference(&copied).count() as u64;
            let manifest = Manifest {
                version: env!("CARGO_PKG_VERSION").into(),
                taken_at,
                files,
                file_bytes,
                missing_objects,
                has_key_file: with_key,
            };
            zip.start_file(MANIFEST_ENTRY, packed)?;
            zip.write_all(&serde_json::to_vec_pretty(&manifest)?)?;
            zip.finish()?.flush()?;
            Ok(manifest)
        }
    })
    .await??;
    std::fs::rename(&tmp_out, out)
        .with_context(|| format!("cannot move the archive to {}", out.display()))?;
    Ok(manifest)
}

/// Restores an archive into the configured data directory. Refuses to replace
/// an existing database unless `force`; the server must be stopped.
pub async fn restore(config: &Config, archive: &Path, force: bool) -> anyhow::Result<Manifest> {
    let db_path = sqlite_path(config)?;
    if db_path.exists() && !force {
        bail!(
            "{} already holds a database; stop the server and pass --force to replace it",
            db_path.display()
        );
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let staging = tempfile::tempdir_in(&config.data_dir)
        .context("cannot make a temporary directory in the data directory")?;
    let manifest = tokio::task::spawn_blocking({
        let archive = archive.to_path_buf();
        let staging = staging.path().to_path_buf();
        move || -> anyhow::Result<Manifest> {
            let file = File::open(&archive)
                .with_context(|| format!("cannot read {}", archive.display()))?;
            let mut zip = zip::ZipArchive::new(BufReader::new(file))
                .context("not a backup archive (not a zip file)")?;
            let manifest: Manifest = {
                let mut entry = zip
                    .by_name(MANIFEST_ENTRY)
                    .context("not a backup archive (no manifest.json)")?;
                let mut text = String::new();
                entry.read_to_string(&mut text)?;
                serde_json::from_str(&text).context("the archive's manifest is not readable")?
            };
            for i in 0..zip.len() {
                let mut entry = zip.by_index(i)?;
                if entry.is_dir() {
                    continue;
                }
                // `enclosed_name` refuses absolute paths and `..`.
                let Some(rel) = entry.enclosed_name() else {
                    bail!(
                        "the archive holds an unsafe path: {}",
                        entry.name().unwrap_or_default()
                    );
                };
                let dest = staging.join(rel);
                if let Some(parent) = dest.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::io::copy(&mut entry, &mut BufWriter::new(File::create(&dest)?))?;
            }
            if !staging.join(DB_ENTRY).exists() {
                bail!("not a backup archive (no database)");
            }
            Ok(manifest)
        }
    })
    .await??;

    // The restored database must be sound before anything is replaced.
    let restored = staging.path().join(DB_ENTRY);
    let mut conn = SqliteConnectOptions::new()
        .filename(&restored)
        .connect()
        .await?;
    let check: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?
        .try_get(0)?;
    conn.close().await?;
    if check != "ok" {
        bail!("the archive's database fails its integrity check: {check}");
    }

    for suffix in ["-wal", "-shm"] {
        let mut side = db_path.clone().into_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    if let Some(parent) = db_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    move_file(&restored, &db_path)?;
    let files_root = files_dir(config);
    if files_root.exists() {
        std::fs::remove_dir_all(&files_root)?;
    }
    let staged_files = staging.path().join(FILES_PREFIX.trim_end_matches('/'));
    if staged_files.exists() {
        std::fs::rename(&staged_files, &files_root)?;
    } else {
        std::fs::create_dir_all(&files_root)?;
    }
    let staged_key = staging.path().join(KEY_ENTRY);
    if staged_key.exists() {
        let key_path = config.data_dir.join(KEY_ENTRY);
        move_file(&staged_key, &key_path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(manifest)
}

/// A rename, or a copy where the two paths are on different file systems.
fn move_file(from: &Path, to: &Path) -> std::io::Result<()> {
    if std::fs::rename(from, to).is_err() {
        std::fs::copy(from, to)?;
        std::fs::remove_file(from)?;
    }
    Ok(())
}
