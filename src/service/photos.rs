//! Storing checked photos: decoding off the async runtime, bounded by the cores,
//! objects written before the row that references them.

use bytes::Bytes;

use super::{App, ServiceError, ServiceResult};
use crate::media::{CheckedImage, ImageRules, check_jpeg};
use crate::storage::{FileRow, micros, new_id};

/// A photo that is checked and stored.
#[derive(Debug, Clone)]
pub struct StoredPhoto {
    pub file: FileRow,
    /// The working image and measures, for further checks (faces, clarity).
    pub checked: CheckedImage,
}

impl App {
    /// Checks a photo against `rules` and stores it with its thumbnail. A refusal
    /// is an `Invalid` error on `field`, and nothing is stored.
    pub async fn store_photo(
        &self,
        raw: Bytes,
        rules: &'static ImageRules,
        field: &str,
    ) -> ServiceResult<StoredPhoto> {
        let received = raw.len();
        let checked = {
            let _permit = self
                .image_permits
                .acquire()
                .await
                .map_err(|e| ServiceError::Internal(e.into()))?;
            self.bulk
                .run(move || check_jpeg(&raw, rules))
                .await
                .map_err(|e| ServiceError::Internal(e.into()))?
        }
        .map_err(|e| {
            self.metrics.upload(field, received, false);
            ServiceError::field(field, e.to_string())
        })?;
        self.metrics.upload(field, received, true);

        let id = new_id();
        let file = FileRow {
            object_key: format!("photos/{id}.jpg"),
            thumb_key: format!("thumbs/{id}.jpg"),
            byte_size: checked.stored.len() as i64,
            width: i64::from(checked.width),
            height: i64::from(checked.height),
            sharpness: checked.sharpness.round() as i64,
            id,
        };
        let store = |key: String, bytes: Vec<u8>| async move {
            self.files
                .put(&key, bytes)
                .await
                .map_err(|e| ServiceError::Internal(e.into()))
        };
        store(file.object_key.clone(), checked.stored.clone()).await?;
        store(file.thumb_key.clone(), checked.thumbnail.clone()).await?;
        if let Err(e) = self.db.insert_file(&file, micros(self.clock.now())).await {
            self.discard_objects(&file).await;
            return Err(e.into());
        }
        Ok(StoredPhoto { file, checked })
    }

    /// Removes a file's objects and row (best effort on the objects: a later
    /// sweep removes what is left).
    pub async fn discard_file(&self, file: &FileRow) -> ServiceResult<()> {
        self.db.delete_file(&file.id).await?;
        self.discard_objects(file).await;
        Ok(())
    }

    async fn discard_objects(&self, file: &FileRow) {
        for key in [&file.object_key, &file.thumb_key] {
            if let Err(e) = self.files.delete(key).await {
                tracing::warn!(file = %file.id, error = %e, "could not remove a stored object");
            }
        }
    }

    /// The bytes of a stored file or its thumbnail.
    pub async fn file_bytes(&self, file: &FileRow, thumbnail: bool) -> ServiceResult<Bytes> {
        let key = if thumbnail {
            &file.thumb_key
        } else {
            &file.object_key
        };
        self.files
            .get(key)
            .await
            .map_err(|e| ServiceError::Internal(e.into()))
    }
}
