//! Small validated values of a candidate's profile: 准考证号, 手机号, email, name.

use std::fmt;

use super::resident_id::mask;

/// Why a profile value was refused; the text is shown beside the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("准考证号应为12位数字")]
    Ticket,
    #[error("手机号应为以1开头的11位数字")]
    Phone,
    #[error("电子邮箱格式不正确")]
    Email,
    #[error("姓名应为2至30个汉字或字母")]
    Name,
}

/// 准考证号: the 12-digit admission ticket number of the exam records.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Ticket(String);

impl Ticket {
    /// Parses twelve ASCII digits, ignoring surrounding blanks.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let s = input.trim();
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValueError::Ticket)
        }
    }

    /// The full number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number masked for display, e.g. `1401****0123`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ticket({})", self.masked())
    }
}

/// 手机号: eleven digits starting with 1.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Parses a mainland mobile number.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let s = input.trim();
        if s.len() == 11 && s.starts_with('1') && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValueError::Phone)
        }
    }

    /// The full number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number masked for display, e.g. `138****5678`.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

/// Masks the middle four digits of a phone number.
pub fn mask_phone(s: &str) -> String {
    if s.len() == 11 && s.is_ascii() {
        format!("{}****{}", &s[..3], &s[7..])
    } else {
        "*".repeat(s.chars().count())
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// An email address, checked for shape only (delivery proves the rest).
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses `local@domain.tld`, at most 100 characters, no blanks.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let s = input.trim();
        let ok = s.len() <= 100
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && match s.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValueError::Email)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address masked for display, e.g. `z***@example.com`.
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }
}

/// Masks an email address's local part but its first character.
pub fn mask_email(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.masked())
    }
}

/// 姓名: 2 to 30 characters of Chinese script or Latin letters, with the
/// middle dot used in transliterated names (e.g. 阿依古丽·买买提).
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a name, ignoring surrounding blanks.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let s = input.trim();
        let n = s.chars().count();
        let allowed = |c: char| {
            ('\u{4e00}'..='\u{9fff}').contains(&c)
                || ('\u{3400}'..='\u{4dbf}').contains(&c)
                || c.is_ascii_alphabetic()
                || c == '·'
                || c == ' '
        };
        if (2..=30).contains(&n) && s.chars().all(allowed) && !s.starts_with('·') {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValueError::Name)
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_is_twelve_digits() {
        assert!(Ticket::parse("140119010001").is_ok());
        assert!(Ticket::parse(" 140119010001 ").is_ok());
        for bad in [
            "14011901000",
            "1401190100012",
            "14011901000A",
            "",
            "１４0119010001",
        ] {
            assert_eq!(Ticket::parse(bad).unwrap_err(), ValueError::Ticket, "{bad}");
        }
        assert_eq!(
            Ticket::parse("140119010001").unwrap().masked(),
            "1401****0001"
        );
    }

    #[test]
    fn phone_is_eleven_digits_from_one() {
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
        for bad in ["23812345678", "1381234567", "138123456789", "1381234567a"] {
            assert_eq!(Phone::parse(bad).unwrap_err(), ValueError::Phone, "{bad}");
        }
    }

    #[test]
    fn email_shape() {
        assert_eq!(
            Email::parse("zhang@example.cn").unwrap().masked(),
            "z***@example.cn"
        );
        for bad in [
            "zhang",
            "@example.cn",
            "a@b",
            "a b@c.cn",
            "a@.cn",
            "a@b@c.cn",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        for good in ["张三", "阿依古丽·买买提", "Li Ming", "㐀明"] {
            assert!(PersonName::parse(good).is_ok(), "{good}");
        }
        for bad in ["张", "张三1", "<b>张三</b>", "·张三", &"张".repeat(31)] {
            assert!(PersonName::parse(bad).is_err(), "{bad}");
        }
    }
}
