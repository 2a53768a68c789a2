//! Password hashing with Argon2id on the interactive CPU lane (threads below
//! the request handlers' priority), bounded by the core count so a burst of
//! logins never stalls other requests.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;
use tokio::sync::Semaphore;

use crate::cpu::Lane;

/// Argon2id with m = 19 MiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct Passwords {
    lane: Lane,
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the account is unknown
    /// so an unknown login costs the same time as a known one.
    dummy: Arc<String>,
}

impl Passwords {
    /// A hasher allowing `parallelism` hashes at once, on threads of its own
    /// at the process's priority.
    pub fn new(parallelism: usize) -> Self {
        Self::on_lane(Lane::new("argon2", parallelism, 0), parallelism)
    }

    /// A hasher allowing `parallelism` hashes at once on `lane`.
    pub fn on_lane(lane: Lane, parallelism: usize) -> Self {
        let dummy = hash_now(&crate::crypto::random_token());
        Self {
            lane,
            permits: Arc::new(Semaphore::new(parallelism.max(1))),
            dummy: Arc::new(dummy),
        }
    }

    /// The PHC string of a new hash of `password`.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let password = password.to_owned();
        let _permit = self.permits.acquire().await?;
        Ok(self.lane.run(move || hash_now(&password)).await?)
    }

    /// Whether `password` matches `hash`; with `None`, spends the same time and
    /// returns false.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> anyhow::Result<bool> {
        let known = hash.is_some();
        let hash = hash
            .map(str::to_owned)
            .unwrap_or_else(|| self.dummy.as_str().to_owned());
        let password = password.to_owned();
        let _permit = self.permits.acquire().await?;
        let ok = self
            .lane
            .run(move || match PasswordHash::new(&hash) {
                Ok(parsed) => argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok(),
                Err(_) => false,
            })
            .await?;
        Ok(known && ok)
    }
}

fn hash_now(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("hashing cannot fail")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_and_refuses() {
        let p = Passwords::new(2);
        let h = p.hash("Abcdef1!").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(p.verify("Abcdef1!", Some(&h)).await.unwrap());
        assert!(!p.verify("abcdef1!", Some(&h)).await.unwrap());
        assert!(!p.verify("Abcdef1!", None).await.unwrap());
    }
}
