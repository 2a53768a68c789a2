//! 通知公告 and 报考简章.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbResult};

/// An announcement as stored.
#[derive(Debug, Clone)]
pub struct AnnouncementRow {
    pub id: String,
    /// `notice` or `guide`.
    pub kind: String,
    pub title: String,
    pub body_markdown: String,
    /// The sanitised HTML of the body.
    pub body_html: String,
    /// When it is shown from; `None` once withdrawn.
    pub publish_at: Option<i64>,
    pub author: String,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, kind, title, body_markdown, body_html, publish_at, author, updated_at";

fn from_row(r: &AnyRow) -> DbResult<AnnouncementRow> {
    Ok(AnnouncementRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        body_markdown: r.try_get("body_markdown")?,
        body_html: r.try_get("body_html")?,
        publish_at: r.try_get("publish_at")?,
        author: r.try_get("author")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Db {
    /// Stores a new announcement.
    pub async fn insert_announcement(&self, a: &AnnouncementRow) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO announcements (id, kind, title, body_markdown, body_html, publish_at, \
             author, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(&a.id)
        .bind(&a.kind)
        .bind(&a.title)
        .bind(&a.body_markdown)
        .bind(&a.body_html)
        .bind(a.publish_at)
        .bind(&a.author)
        .bind(a.updated_at)
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// Replaces an announcement's content and publish time; `Ok(false)` when absent.
    pub async fn update_announcement(&self, a: &AnnouncementRow) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE announcements SET kind = $1, title = $2, body_markdown = $3, body_html = $4, \
             publish_at = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(&a.kind)
        .bind(&a.title)
        .bind(&a.body_markdown)
        .bind(&a.body_html)
        .bind(a.publish_at)
        .bind(a.updated_at)
        .bind(&a.id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// One announcement, published or not.
    pub async fn announcement(&self, id: &str) -> DbResult<Option<AnnouncementRow>> {
        let sql = format!("SELECT {COLUMNS} FROM announcements WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Every announcement, newest first (the admin's list).
    pub async fn all_announcements(&self) -> DbResult<Vec<AnnouncementRow>> {
        let sql = format!("SELECT {COLUMNS} FROM announcements ORDER BY created_at DESC");
        let rows = sqlx::query(&sql).fetch_all(&self.read).await?;
        rows.iter().map(from_row).collect()
    }

    /// The announcements of a kind published by `now`, newest first.
    pub async fn published_announcements(
        &self,
        kind: &str,
        now: i64,
        limit: i64,
    ) -> DbResult<Vec<AnnouncementRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM announcements WHERE kind = $1 AND publish_at IS NOT NULL \
             AND publish_at <= $2 ORDER BY publish_at DESC, id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(kind)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(from_row).collect()
    }
}
