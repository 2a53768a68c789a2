//! File objects (photos and thumbnails) behind one interface, and their rows.
//! Keys are generated ASCII names, never derived from what the uploader sent.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload};
use sqlx::Row;

use super::{Db, DbResult};

/// Where file objects live: a local directory by default, or an S3-compatible
/// bucket shared by several nodes.
#[derive(Clone)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
}

/// A stored file's row.
#[derive(Debug, Clone)]
pub struct FileRow {
    pub id: String,
    pub object_key: String,
    pub thumb_key: String,
    pub byte_size: i64,
    pub width: i64,
    pub height: i64,
    pub sharpness: i64,
}

impl FileStore {
    /// A store in a local directory (created if missing).
    pub fn local(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let fs = LocalFileSystem::new_with_prefix(root).map_err(std::io::Error::other)?;
        Ok(Self {
            store: Arc::new(fs),
        })
    }

    /// A store in an S3-compatible bucket, as the configuration names it.
    pub fn s3(config: &crate::config::Config) -> anyhow::Result<Self> {
        let bucket = config
            .s3_bucket
            .as_deref()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| anyhow::anyhow!("file_store = \"s3\" needs s3_bucket"))?;
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&config.s3_region);
        if let Some(endpoint) = &config.s3_endpoint {
            // Self-hosted servers answer at the endpoint's path, not at a
            // bucket subdomain.
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(id) = &config.s3_access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &config.s3_secret_access_key {
            builder = builder.with_secret_access_key(secret.expose());
        }
        let store: Arc<dyn ObjectStore> = Arc::new(builder.build()?);
        let prefix = config.s3_prefix.trim_matches('/');
        let store = if prefix.is_empty() {
            store
        } else {
            Arc::new(PrefixStore::new(store, prefix))
        };
        Ok(Self { store })
    }

    /// Writes an object whole (a reader never sees half of it).
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> object_store::Result<()> {
        self.store
            .put(&ObjectPath::from(key), PutPayload::from(bytes))
            .await
            .map(|_| ())
    }

    /// Reads an object.
    pub async fn get(&self, key: &str) -> object_store::Result<Bytes> {
        self.store.get(&ObjectPath::from(key)).await?.bytes().await
    }

    /// The objects under `prefix` whose keys sort after `offset`, in no
    /// particular order.
    pub fn list_after(
        &self,
        prefix: &str,
        offset: &str,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.store
            .list_with_offset(Some(&ObjectPath::from(prefix)), &ObjectPath::from(offset))
    }

    /// Every object under `prefix` (all objects when `None`).
    pub fn list(
        &self,
        prefix: Option<&str>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let prefix = prefix.map(ObjectPath::from);
        self.store.list(prefix.as_ref())
    }

    /// Removes an object; a missing one is not an error.
    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            other => other,
        }
    }
}

impl Db {
    /// Records a file whose objects are complete.
    pub async fn insert_file(&self, f: &FileRow, now: i64) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO files (id, object_key, thumb_key, byte_size, width, height, sharpness, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&f.id)
        .bind(&f.object_key)
        .bind(&f.thumb_key)
        .bind(f.byte_size)
        .bind(f.width)
        .bind(f.height)
        .bind(f.sharpness)
        .bind(now)
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// A file's row.
    pub async fn file(&self, id: &str) -> DbResult<Option<FileRow>> {
        let row = sqlx::query(
            "SELECT id, object_key, thumb_key, byte_size, width, height, sharpness FROM files \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(file_from_row).transpose()
    }

    /// How many file rows there are.
    pub async fn count_files(&self) -> DbResult<i64> {
        sqlx::query("SELECT COUNT(*) AS n FROM files")
            .fetch_one(&self.read)
            .await?
            .try_get("n")
    }

    /// Files created in `[from, before)` that no row uses, at most `limit`.
    pub async fn unreferenced_files(
        &self,
        from: i64,
        before: i64,
        limit: i64,
    ) -> DbResult<Vec<FileRow>> {
        let rows = sqlx::query(
            "SELECT id, object_key, thumb_key, byte_size, width, height, sharpness FROM files f \
             WHERE created_at >= $1 AND created_at < $2 \
             AND NOT EXISTS (SELECT 1 FROM identity_photos i WHERE i.file_id = f.id) \
             AND NOT EXISTS (SELECT 1 FROM transfer_images t WHERE t.file_id = f.id) \
             ORDER BY created_at LIMIT $3",
        )
        .bind(from)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(file_from_row).collect()
    }

    /// Which of `ids` have a file row.
    pub async fn existing_file_ids(&self, ids: &[String]) -> DbResult<HashSet<String>> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
        let sql = format!("SELECT id FROM files WHERE id IN ({})", marks.join(", "));
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(id);
        }
        query
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect()
    }

    /// Removes a file's row.
    pub async fn delete_file(&self, id: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM files WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await
            .map(|_| ())
    }
}

fn file_from_row(r: &sqlx::any::AnyRow) -> DbResult<FileRow> {
    Ok(FileRow {
        id: r.try_get("id")?,
        object_key: r.try_get("object_key")?,
        thumb_key: r.try_get("thumb_key")?,
        byte_size: r.try_get("byte_size")?,
        width: r.try_get("width")?,
        height: r.try_get("height")?,
        sharpness: r.try_get("sharpness")?,
    })
}
