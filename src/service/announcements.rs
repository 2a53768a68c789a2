//! 通知公告 and 报考简章: written by province admins in Markdown, shown to everyone
//! as sanitised HTML from their publish time on.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{App, FieldErrors, ServiceError, ServiceResult, StaffSession};
use crate::clock::{china, china_input, china_minute, parse_china_minute};
use crate::storage::{AnnouncementRow, from_micros, micros, new_id};

/// The longest body accepted, in characters.
const BODY_LIMIT: usize = 50_000;

/// What an announcement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnnouncementKind {
    /// 通知公告.
    Notice,
    /// 报考简章.
    Guide,
}

impl AnnouncementKind {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notice => "notice",
            Self::Guide => "guide",
        }
    }

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Notice => "通知公告",
            Self::Guide => "报考简章",
        }
    }

    /// The kind of a stored word.
    pub fn from_word(word: &str) -> Option<Self> {
        match word {
            "notice" => Some(Self::Notice),
            "guide" => Some(Self::Guide),
            _ => None,
        }
    }
}

/// An announcement as written in the admin's form.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AnnouncementInput {
    /// `notice` or `guide`.
    pub kind: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    /// `2026-03-01T08:00` in China Standard Time; empty means now.
    pub publish_at: String,
}

/// An announcement as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnnouncementView {
    pub id: String,
    pub kind: AnnouncementKind,
    pub kind_label: String,
    pub title: String,
    /// The body as sanitised HTML.
    pub body_html: String,
    /// Publish time, RFC 3339 in China Standard Time; absent once withdrawn.
    pub publish_at: Option<String>,
    /// `2026-03-01 08:00`, for pages.
    #[serde(skip)]
    pub publish_text: String,
    /// 已发布 / 待发布 / 已撤回, for the admin's list.
    #[serde(skip)]
    pub state_label: String,
    /// The Markdown as written (the admin's edit form only).
    #[serde(skip)]
    pub body_markdown: String,
    /// The publish time as a form value.
    #[serde(skip)]
    pub publish_input: String,
}

/// Markdown to HTML with everything that could run script removed: `<script>`,
/// event attributes such as `onerror=`, and `javascript:` links.
pub fn sanitised_html(markdown: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(
        markdown,
        pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH,
    );
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(&html)
        .to_string()
}

impl App {
    fn announcement_view(&self, row: &AnnouncementRow) -> AnnouncementView {
        let kind = AnnouncementKind::from_word(&row.kind).unwrap_or(AnnouncementKind::Notice);
        let at = row.publish_at.map(from_micros);
        let state = match at {
            None => "已撤回",
            Some(t) if t > self.clock.now() => "待发布",
            Some(_) => "已发布",
        };
        AnnouncementView {
            id: row.id.clone(),
            kind,
            kind_label: kind.label().into(),
            title: row.title.clone(),
            body_html: row.body_html.clone(),
            publish_at: at.map(|t| t.with_timezone(&china()).to_rfc3339()),
            publish_text: at.map(china_minute).unwrap_or_default(),
            state_label: state.into(),
            body_markdown: row.body_markdown.clone(),
            publish_input: at.map(china_input).unwrap_or_default(),
        }
    }

    fn announcement_row(
        &self,
        input: &AnnouncementInput,
        id: String,
        author: &str,
    ) -> ServiceResult<AnnouncementRow> {
        let mut e = FieldErrors::new();
        let kind = AnnouncementKind::from_word(input.kind.trim());
        if kind.is_none() {
            e.add("kind", "请选择类别");
        }
        let title = input.title.trim();
        match title.chars().count() {
            0 => e.add("title", "请填写标题"),
            n if n > 100 => e.add("title", "标题不能超过100个字"),
            _ => {}
        }
        let body = input.body.trim();
        if body.is_empty() {
            e.add("body", "请填写正文");
        } else if body.chars().count() > BODY_LIMIT {
            e.add("body", "正文不能超过5万字");
        }
        let now = self.clock.now();
        let publish_at: Option<DateTime<Utc>> = if input.publish_at.trim().is_empty() {
            Some(now)
        } else {
            let at = parse_china_minute(&input.publish_at);
            if at.is_none() {
                e.add("publish_at", "发布时间格式应为 2026-03-01 08:00");
            }
            at
        };
        e.into_result()?;
        Ok(AnnouncementRow {
            id,
            kind: kind.expect("checked above").as_str().into(),
            title: title.into(),
            body_markdown: body.into(),
            body_html: sanitised_html(body),
            publish_at: publish_at.map(micros),
            author: author.into(),
            updated_at: micros(now),
        })
    }

    /// Writes a new announcement (province admins).
    pub async fn create_announcement(
        &self,
        actor: &StaffSession,
        address: IpAddr,
        input: &AnnouncementInput,
    ) -> ServiceResult<String> {
        self.require_province_admin(actor)?;
        let row = self.announcement_row(input, new_id(), &actor.staff.id)?;
        self.db.insert_announcement(&row).await?;
        let after = serde_json::json!({ "kind": row.kind, "title": row.title, "publish_at": row.publish_at });
        self.audit(
            &actor.staff.id,
            Some(address),
            "announcement.create",
            Some(&row.id),
            None,
            Some(&after),
        )
        .await?;
        Ok(row.id)
    }

    /// Changes an announcement (and publishes it again if it was withdrawn).
    pub async fn update_announcement(
        &self,
        actor: &StaffSession,
        address: IpAddr,
        id: &str,
        input: &AnnouncementInput,
    ) -> ServiceResult<()> {
        self.require_province_admin(actor)?;
        let old = self
            .db
            .announcement(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let row = self.announcement_row(input, old.id.clone(), &old.author)?;
        self.db.update_announcement(&row).await?;
        let summary = |r: &AnnouncementRow| serde_json::json!({ "kind": r.kind, "title": r.title, "publish_at": r.publish_at });
        self.audit(
            &actor.staff.id,
            Some(address),
            "announcement.update",
            Some(id),
            Some(&summary(&old)),
            Some(&summary(&row)),
        )
        .await
    }

    /// Withdraws an announcement: it is no longer shown anywhere.
    pub async fn unpublish_announcement(
        &self,
        actor: &StaffSession,
        address: IpAddr,
        id: &str,
    ) -> ServiceResult<()> {
        self.require_province_admin(actor)?;
        let old = self
            .db
            .announcement(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let row = AnnouncementRow {
            publish_at: None,
            updated_at: micros(self.clock.now()),
            ..old.clone()
        };
        self.db.update_announcement(&row).await?;
        self.audit(
            &actor.staff.id,
            Some(address),
            "announcement.unpublish",
            Some(id),
            Some(&serde_json::json!({ "publish_at": old.publish_at })),
            Some(&serde_json::json!({ "publish_at": null })),
        )
        .await
    }

    /// Every announcement, published or not (province admins).
    pub async fn all_announcements(
        &self,
        actor: &StaffSession,
    ) -> ServiceResult<Vec<AnnouncementView>> {
        self.require_province_admin(actor)?;
        let rows = self.db.all_announcements().await?;
        Ok(rows.iter().map(|r| self.announcement_view(r)).collect())
    }

    /// One announcement for editing (province admins).
    pub async fn announcement_for_edit(
        &self,
        actor: &StaffSession,
        id: &str,
    ) -> ServiceResult<AnnouncementView> {
        self.require_province_admin(actor)?;
        let row = self
            .db
            .announcement(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok(self.announcement_view(&row))
    }

    /// The published announcements of a kind, newest first.
    pub async fn published_announcements(
        &self,
        kind: AnnouncementKind,
        limit: i64,
    ) -> ServiceResult<Vec<AnnouncementView>> {
        let now = micros(self.clock.now());
        let rows = self
            .db
            .published_announcements(kind.as_str(), now, limit)
            .await?;
        Ok(rows.iter().map(|r| self.announcement_view(r)).collect())
    }

    /// One published announcement; not found before its publish time or once withdrawn.
    pub async fn published_announcement(&self, id: &str) -> ServiceResult<AnnouncementView> {
        let row = self
            .db
            .announcement(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        match row.publish_at {
            Some(at) if at <= micros(self.clock.now()) => Ok(self.announcement_view(&row)),
            _ => Err(ServiceError::NotFound),
        }
    }

    /// The 报考简章 in force: the latest published guide.
    pub async fn current_guide(&self) -> ServiceResult<Option<AnnouncementView>> {
        Ok(self
            .published_announcements(AnnouncementKind::Guide, 1)
            .await?
            .into_iter()
            .next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_and_handlers_are_removed() {
        let html = sanitised_html(
            "# 通知\n\n<script>alert(1)</script>\n\n<img src=\"x.png\" onerror=\"alert(2)\">\n\n\
             [点我](javascript:alert(3)) **重要**",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("<h1>通知</h1>"), "{html}");
        assert!(html.contains("<strong>重要</strong>"), "{html}");
    }
}
