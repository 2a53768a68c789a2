//! 联系方式 of the city offices.

use sqlx::Row;

use super::{Db, DbResult};

/// One city office's published contacts.
#[derive(Debug, Clone)]
pub struct ContactRow {
    /// City code, e.g. 1401.
    pub city: String,
    pub office: String,
    pub address: String,
    pub phone: String,
}

impl Db {
    /// Every published city contact.
    pub async fn city_contacts(&self) -> DbResult<Vec<ContactRow>> {
        let rows = sqlx::query("SELECT city, office, address, phone FROM city_contacts")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ContactRow {
                    city: r.try_get("city")?,
                    office: r.try_get("office")?,
                    address: r.try_get("address")?,
                    phone: r.try_get("phone")?,
                })
            })
            .collect()
    }

    /// Sets a city's contacts, replacing what was there.
    pub async fn set_city_contact(&self, c: &ContactRow) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO city_contacts (city, office, address, phone) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (city) DO UPDATE SET office = $2, address = $3, phone = $4",
        )
        .bind(&c.city)
        .bind(&c.office)
        .bind(&c.address)
        .bind(&c.phone)
        .execute(&self.write)
        .await
        .map(|_| ())
    }
}
