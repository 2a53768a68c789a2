//! The candidate's own copy of everything the platform holds about them
//! (个人信息保护法 art. 45, the right of access): one zip with `data.json`
//! and their images.

use std::io::Write;

use serde_json::{Value, json};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use super::identity::{IDENTITY, RECOVERY};
use super::{App, CandidateSession, ServiceError, ServiceResult};
use crate::clock::china_minute;
use crate::storage::{FileRow, from_micros};

/// One image to put in the zip: its name there and where it is stored.
struct Image {
    name: String,
    file: FileRow,
}

impl App {
    /// The zip of the signed-in candidate's own data; at most one a minute.
    pub async fn personal_data_export(&self, session: &CandidateSession) -> ServiceResult<Vec<u8>> {
        if self
            .data_export_limiter
            .check_key(&session.candidate.id)
            .is_err()
        {
            return Err(ServiceError::TooManyRequests {
                retry_after_secs: 60,
                message: "个人信息副本每分钟只能下载一次，请稍后再试".into(),
            });
        }
        let c = &session.candidate;
        let time = |t: i64| china_minute(from_micros(t));
        let open = |column: &str, v: &Option<String>| -> ServiceResult<Option<String>> {
            v.as_ref()
                .map(|s| self.keys.decrypt(column, s))
                .transpose()
                .map_err(Into::into)
        };
        let mut images = vec![];

        let (city, county) = match self.province.county(&c.county) {
            Some((city, k)) => (city.name.clone(), k.name.clone()),
            None => (c.city.clone(), c.county.clone()),
        };
        let profile = json!({
            "考生编号": c.id,
            "考生类型": c.kind,
            "姓名": c.name,
            "身份证号": self.keys.decrypt("id_number", &c.id_number_enc)?,
            "性别": c.gender,
            "出生日期": c.birth_date,
            "手机号": open("phone", &c.phone_enc)?,
            "电子邮箱": open("email", &c.email_enc)?,
            "准考证号": c.ticket,
            "民族": c.ethnicity,
            "户口性质": c.household,
            "文化程度": c.education,
            "职业": c.occupation,
            "政治面貌": c.politics,
            "地市": city,
            "区县": county,
        });

        let mut photos = vec![];
        for purpose in [IDENTITY, RECOVERY] {
            for (kind, file) in self.db.identity_photos(&c.id, purpose).await? {
                let name = format!("images/identity-{purpose}-{kind}.jpg");
                photos.push(json!({ "用途": purpose, "照片类型": kind, "文件": name }));
                images.push(Image { name, file });
            }
        }
        let attempts: Vec<Value> = self
            .db
            .attempts_of(&c.id)
            .await?
            .into_iter()
            .map(|(purpose, at, outcome, findings)| {
                json!({
                    "用途": purpose, "时间": time(at), "结果": outcome,
                    "说明": serde_json::from_str::<Value>(&findings).unwrap_or(Value::Null),
                })
            })
            .collect();
        let identity = json!({
            "认证状态": session.identity.label(),
            "人脸图像处理同意时间": self.db.consent_at(&c.id).await?.map(time),
            "照片": photos,
            "核验记录": attempts,
        });

        let mut applications = vec![];
        for t in self.db.transfers_of(&c.id).await? {
            let mut materials = vec![];
            for (i, img) in self
                .db
                .transfer_images(&t.id)
                .await?
                .into_iter()
                .enumerate()
            {
                let Some(file) = self.db.file(&img.file_id).await? else {
                    continue;
                };
                let name = format!("images/transfer-{}-{}-{}.jpg", t.id, img.kind, i + 1);
                materials.push(json!({ "类型": img.kind, "文件": name }));
                images.push(Image { name, file });
            }
            applications.push(json!({
                "申请编号": t.id, "状态": t.state, "转入省": t.target_province,
                "转出原因": t.reason, "转入地准考证号": t.target_ticket,
                "转入地专业名称": t.target_specialty_name, "转入地专业代码": t.target_specialty_code,
                "转入地专业层次": t.target_specialty_level, "退回修改说明": t.correction_note,
                "审核结果": t.decision, "审核意见": t.decision_reason,
                "审核时间": t.decided_at.map(time), "申请时间": time(t.created_at),
                "提交时间": t.submitted_at.map(time), "确认时间": t.confirmed_at.map(time),
                "材料": materials,
            }));
        }
        let notices: Vec<Value> = self
            .db
            .notices(&c.id, i64::MAX)
            .await?
            .into_iter()
            .map(|(text, at)| json!({ "时间": time(at), "内容": text }))
            .collect();
        let audit: Vec<Value> = self
            .db
            .audit_of_candidate(&c.id)
            .await?
            .iter()
            .map(|r| {
                let l = self.audit_line(r);
                json!({
                    "序号": l.seq, "时间": l.at, "操作人": l.actor, "操作": l.action,
                    "对象": l.subject, "变更前": l.before, "变更后": l.after,
                })
            })
            .collect();
        let data = json!({
            "说明": "本文件是本平台保存的您的全部个人信息副本（依据《个人信息保护法》第四十五条）。平台不保存登录历史；照片见 images 目录。",
            "生成时间": china_minute(self.clock.now()),
            "个人资料": profile,
            "身份认证": identity,
            "省际转出申请": applications,
            "消息": notices,
            "操作记录": audit,
        });
        tracing::info!(candidate = %c.id, images = images.len(), "personal data copy made");
        self.zip_copy(&data, &images).await
    }

    async fn zip_copy(&self, data: &Value, images: &[Image]) -> ServiceResult<Vec<u8>> {
        let fail = |e: zip::result::ZipError| ServiceError::Internal(e.into());
        let io = |e: std::io::Error| ServiceError::Internal(e.into());
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        zip.start_file("data.json", deflated).map_err(fail)?;
        let json = serde_json::to_vec_pretty(data).map_err(|e| ServiceError::Internal(e.into()))?;
        zip.write_all(&json).map_err(io)?;
        for img in images {
            let bytes = self.file_bytes(&img.file, false).await?;
            zip.start_file(img.name.as_str(), stored).map_err(fail)?;
            zip.write_all(&bytes).map_err(io)?;
        }
        Ok(zip.finish().map_err(fail)?.into_inner())
    }
}
