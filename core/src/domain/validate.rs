//! Field checks shared by the domain. Each returns the normalised value or
//! a field error naming the API's `param`.

use crate::error::{CoreError, CoreResult};

pub const MAX_NAME_CHARS: usize = 200;

/// A non-empty, trimmed display name without control characters.
pub fn name(param: &str, value: &str) -> CoreResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(CoreError::field(param, "parameter_missing", format!("{param} is required")));
    }
    text(param, trimmed, MAX_NAME_CHARS).map(str::to_owned)
}

/// Free text up to `max` characters, no control characters but newlines.
pub fn text<'a>(param: &str, value: &'a str, max: usize) -> CoreResult<&'a str> {
    if value.chars().count() > max {
        return Err(CoreError::field(param, "parameter_too_long", format!("{param} must be at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(CoreError::field(
            param,
            "parameter_invalid",
            format!("{param} must not contain control characters"),
        ));
    }
    Ok(value)
}

/// An absolute `https://` URL (or `http://` when `allow_http`), without
/// credentials, up to 2,048 characters.
pub fn web_url(param: &str, value: &str, allow_http: bool) -> CoreResult<url::Url> {
    let invalid = |why: &str| CoreError::field(param, "url_invalid", format!("{param} {why}"));
    if value.len() > 2048 {
        return Err(invalid("must be at most 2048 characters"));
    }
    let parsed = url::Url::parse(value).map_err(|_| invalid("must be an absolute URL"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_http => {}
        _ if allow_http => return Err(invalid("must use http or https")),
        _ => return Err(invalid("must use https")),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("must name a host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid("must not carry credentials"));
    }
    Ok(parsed)
}

/// A plausible e-mail address: one `@`, something on each side, no spaces.
pub fn email(param: &str, value: &str) -> CoreResult<String> {
    let value = value.trim();
    let valid = value.len() <= 254
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if valid {
        Ok(value.to_owned())
    } else {
        Err(CoreError::field(param, "email_invalid", format!("{param} must be an e-mail address")))
    }
}

/// ISO 3166-1 alpha-2 shape: two ASCII letters, returned uppercase.
pub fn country(param: &str, value: &str) -> CoreResult<String> {
    let value = value.trim().to_ascii_uppercase();
    if crate::money::is_country_code(&value) {
        Ok(value)
    } else {
        Err(CoreError::field(param, "country_invalid", format!("{param} must be an ISO 3166-1 alpha-2 country code")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(web_url("u", "https://merchant.example/ipn", false).is_ok());
        assert!(web_url("u", "http://merchant.example/ipn", false).is_err());
        assert!(web_url("u", "http://merchant.example/ipn", true).is_ok());
        assert!(web_url("u", "ftp://merchant.example/", true).is_err());
        assert!(web_url("u", "https://user:pw@merchant.example/", false).is_err());
        assert!(web_url("u", "not a url", false).is_err());
    }

    #[test]
    fn emails_and_countries() {
        assert!(email("e", "a@example.com").is_ok());
        assert!(email("e", "a@b").is_err());
        assert!(email("e", "a b@example.com").is_err());
        assert_eq!(country("c", "de").ok().as_deref(), Some("DE"));
        assert!(country("c", "DEU").is_err());
    }

    #[test]
    fn names() {
        assert!(name("n", "  ").is_err());
        assert_eq!(name("n", " Shop ").ok().as_deref(), Some("Shop"));
        assert!(name("n", "a\u{0}b").is_err());
        assert!(name("n", &"x".repeat(201)).is_err());
    }
}
