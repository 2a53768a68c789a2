//! Candidate and staff passwords, before hashing.

use std::fmt;

use super::{Phone, ResidentId};

/// A new password that meets the platform's rules; never printed.
#[derive(Clone)]
pub struct NewPassword(String);

/// Why a new password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("密码长度应为8至64个字符")]
    Length,
    #[error("密码须包含大写字母、小写字母、数字、符号中的至少三类")]
    Classes,
    #[error("密码不能包含身份证号")]
    ContainsIdNumber,
    #[error("密码不能包含手机号")]
    ContainsPhone,
}

impl NewPassword {
    /// Checks length (8‥64), character classes (three of upper, lower, digit,
    /// symbol) and that the password holds neither the 身份证号 nor the phone.
    pub fn parse(
        raw: &str,
        id_number: Option<&ResidentId>,
        phone: Option<&Phone>,
    ) -> Result<Self, PasswordError> {
        let n = raw.chars().count();
        if !(8..=64).contains(&n) {
            return Err(PasswordError::Length);
        }
        let classes = [
            raw.chars().any(|c| c.is_ascii_uppercase()),
            raw.chars().any(|c| c.is_ascii_lowercase()),
            raw.chars().any(|c| c.is_ascii_digit()),
            raw.chars()
                .any(|c| !c.is_ascii_alphanumeric() && !c.is_whitespace()),
        ];
        if classes.iter().filter(|&&x| x).count() < 3 {
            return Err(PasswordError::Classes);
        }
        if let Some(id) = id_number
            && raw.to_ascii_uppercase().contains(id.as_str())
        {
            return Err(PasswordError::ContainsIdNumber);
        }
        if let Some(phone) = phone
            && raw.contains(phone.as_str())
        {
            return Err(PasswordError::ContainsPhone);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password text, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn rules() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let id = ResidentId::parse("11010519491231002X", today).unwrap();
        let phone = Phone::parse("13812345678").unwrap();
        let check = |p: &str| NewPassword::parse(p, Some(&id), Some(&phone)).map(|_| ());
        assert_eq!(check("Abcdef1!"), Ok(()));
        assert_eq!(check("abcdef12"), Err(PasswordError::Classes));
        assert_eq!(check("Abc1!"), Err(PasswordError::Length));
        assert_eq!(check(&"Ab1!".repeat(17)), Err(PasswordError::Length));
        assert_eq!(
            check("Ab!11010519491231002x"),
            Err(PasswordError::ContainsIdNumber)
        );
        assert_eq!(check("Ab!13812345678"), Err(PasswordError::ContainsPhone));
        assert_eq!(check("abcdefg1!"), Ok(()));
        assert!(!format!("{:?}", NewPassword::parse("Abcdef1!", None, None)).contains("Abcdef"));
    }
}
