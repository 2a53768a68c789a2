//! 下载登记表PDF and the public page that confirms a printed form is genuine.

use std::sync::Arc;

use serde::Serialize;
use sm3::{Digest, Sm3};

use super::{App, RegistrationForm, ServiceError, ServiceResult};
use crate::clock::china_minute;
use crate::storage::TransferRow;

/// What the public verification page shows: masked, nothing more.
#[derive(Debug, Clone, Serialize)]
pub struct FormVerification {
    pub genuine: bool,
    pub application_id: String,
    pub name: String,
    pub id_number: String,
    pub target_place: String,
    pub state_label: String,
    pub hash: String,
}

/// The content hash of a form: SM3 over its data, first 16 hex digits.
pub fn form_hash(form: &RegistrationForm) -> String {
    let mut data = serde_json::to_value(form).expect("the form serialises");
    // The state changes after printing; the printed content does not.
    data["state_label"] = serde_json::Value::Null;
    hex::encode(Sm3::digest(data.to_string().as_bytes()))[..16].to_uppercase()
}

/// Masks a name but its first character, e.g. 王**.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    let first: String = chars.next().map(String::from).unwrap_or_default();
    format!("{first}{}", "*".repeat(chars.count()))
}

impl App {
    /// The A3 PDF of an application's 登记表.
    pub async fn form_pdf(&self, row: &TransferRow) -> ServiceResult<Vec<u8>> {
        let renderer: Arc<crate::pdf::FormRenderer> = self.pdf.clone().ok_or_else(|| {
            ServiceError::conflict(
                "pdf_unavailable",
                "登记表生成服务暂不可用，请稍后再试或联系地市自考办",
            )
        })?;
        let form = self.registration_form(row).await?;
        let hash = form_hash(&form);
        let url = format!(
            "{}/verify/{}/{}",
            self.config.public_url.trim_end_matches('/'),
            row.id,
            hash
        );
        let qr = qrcode::QrCode::new(url.as_bytes())
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("qr: {e}")))?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(240, 240)
            .build();
        let mut data = serde_json::to_value(&form).map_err(|e| ServiceError::Internal(e.into()))?;
        data["hash"] = hash.into();
        data["title"] = format!("{}高等教育自学考试转考（转出）登记表", form.province_name).into();
        data["organisation"] = self.province.info.organisation.clone().into();
        data["generated_at"] = china_minute(self.clock.now()).into();
        data["total_credits"] = form.courses.iter().map(|c| c.credits).sum::<i64>().into();
        // The interactive lane's threads bound the renders at once; they do
        // not queue behind the photo checks' permits.
        let started = std::time::Instant::now();
        let pdf = self
            .interactive
            .run(move || renderer.render(&data, &qr))
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?
            .map_err(|e| ServiceError::Internal(e.into()))?;
        self.metrics.render("registration_form", started.elapsed());
        Ok(pdf)
    }

    /// Checks a scanned form: whether `hash` matches the application's form now.
    pub async fn verify_form(&self, id: &str, hash: &str) -> ServiceResult<FormVerification> {
        let row = self.db.transfer(id).await?.ok_or(ServiceError::NotFound)?;
        let form = self
            .registration_form(&row)
            .await
            .map_err(|_| ServiceError::NotFound)?;
        let current = form_hash(&form);
        Ok(FormVerification {
            genuine: crate::crypto::same(&current, &hash.to_uppercase()),
            application_id: row.id.clone(),
            name: mask_name(&form.name),
            id_number: crate::domain::mask(&form.id_number),
            target_place: form.target_place.clone(),
            state_label: form.state_label.clone(),
            hash: current,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_but_the_first_character() {
        assert_eq!(mask_name("王晓明"), "王**");
        assert_eq!(mask_name("阿依古丽·买买提"), "阿*******");
    }
}
