//! The page behind the link of reset and invitation emails:
//! `GET /reset-password?token=…` (`<PARTNERDESK_PUBLIC_URL>/reset-password`,
//! the link [`crate::auth::service::send_password_link`] writes).
//!
//! The page is in the user's language: the language of the link's user
//! while the link can be used, else the best of `Accept-Language`. Its
//! script calls the `resetPassword` mutation on this origin and shows the
//! outcome, or the errors the server words in the page's language (it
//! sends the page's language as `Accept-Language`). A link that cannot be
//! used any more is said so at once, without the form.
//!
//! The token must not leak: the page is `Cache-Control: no-store`, it and
//! its script send no `Referer` (`Referrer-Policy: no-referrer`), and the
//! script takes the token out of the address bar before anything else
//! (`history.replaceState`). The page has the IDE's strict policy (no
//! inline code, requests to this origin only, no framing); its texts are
//! HTML-escaped into a template, and the script reads the ones it needs
//! from `data-` attributes.
//!
//! | path                         | content                     |
//! |------------------------------|-----------------------------|
//! | `/reset-password`            | the page, rendered per request |
//! | `/reset-password/reset.js`   | its script (a module)       |
//! | `/reset-password/reset.css`  | its style sheet             |

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use entity::enums::Locale;

use crate::domain::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use crate::error::Reason;
use crate::playground::{Asset, CONTENT_SECURITY_POLICY};
use crate::state::AppState;

const TEMPLATE: &str = include_str!("index.html");

/// What the page loads.
const ASSETS: [Asset; 2] = [
    Asset::new(
        "/reset-password/reset.js",
        "text/javascript; charset=utf-8",
        include_str!("reset.js"),
    ),
    Asset::new(
        "/reset-password/reset.css",
        "text/css; charset=utf-8",
        include_str!("reset.css"),
    ),
];

/// The page and its assets.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new().route("/reset-password", get(page));
    for asset in ASSETS {
        router = router.route(
            asset.path,
            get(move |headers: HeaderMap| async move { crate::playground::serve(asset, &headers) }),
        );
    }
    router.with_state(state)
}

/// The query string of the link.
#[derive(Debug, serde::Deserialize)]
struct Link {
    token: Option<String>,
}

/// Whether the link can still be used, which decides what the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkState {
    Usable,
    Invalid,
}

async fn page(
    State(state): State<AppState>,
    link: Result<Query<Link>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    // A query string that does not parse is a link that cannot be used.
    let token = link.ok().and_then(|Query(link)| link.token);
    let user_locale = match token.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(token) => match crate::auth::service::reset_link_locale(&state, token).await {
            Ok(locale) => locale,
            Err(err) => return err.response_in(crate::i18n::request_locale(None, &headers)),
        },
        None => None,
    };
    let link = if user_locale.is_some() {
        LinkState::Usable
    } else {
        LinkState::Invalid
    };
    let locale = crate::i18n::request_locale(user_locale, &headers);
    let mut response = render(locale, link).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn lang(locale: Locale) -> &'static str {
    match locale {
        Locale::Fr => "fr",
        Locale::De => "de",
        Locale::It => "it",
        Locale::En => "en",
    }
}

/// The page in `locale`, with the form for a usable link, or the error
/// of a dead one (the same words as the mutation's `token` error).
fn render(locale: Locale, link: LinkState) -> String {
    let texts = crate::i18n::reset_page(locale);
    let (state, status, status_class, form_hidden) = match link {
        LinkState::Usable => ("ready", String::new(), "", ""),
        LinkState::Invalid => {
            let message =
                crate::i18n::field_message(locale, Reason::Expired, &serde_json::Map::new());
            ("invalid", sentence(&message), " error", " hidden")
        }
    };
    let min = MIN_PASSWORD_CHARS.to_string();
    let max = MAX_PASSWORD_CHARS.to_string();
    fill(TEMPLATE, |name| match name {
        "lang" => Some(lang(locale)),
        "title" => Some(texts.title),
        "state" => Some(state),
        "mismatch" => Some(texts.mismatch),
        "failed" => Some(texts.failed),
        "needs_javascript" => Some(texts.needs_javascript),
        "status" => Some(&status),
        "status_class" => Some(status_class),
        "form_hidden" => Some(form_hidden),
        "intro" => Some(texts.intro),
        "shared_address" => Some(texts.shared_address),
        "password_label" => Some(texts.password_label),
        "password_hint" => Some(&texts.password_hint),
        "confirm_label" => Some(texts.confirm_label),
        "submit" => Some(texts.submit),
        "success" => Some(texts.success),
        "min" => Some(&min),
        "max" => Some(&max),
        _ => None,
    })
}

/// `template` with every `{name}` replaced by its value, HTML-escaped, in
/// one pass (a value is never read as a placeholder). An unknown name is
/// a mistake in the template: a test renders every page and finds none.
fn fill<'a>(template: &str, value: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(template.len() + 1024);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        match (
            value(&after[..name_len]),
            after[name_len..].starts_with('}'),
        ) {
            (Some(text), true) => {
                escape_into(&mut out, text);
                rest = &after[name_len + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// HTML-escapes `text` for an element's content or a quoted attribute.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// A message as a sentence: its first letter capitalised.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCALES: [Locale; 4] = [Locale::Fr, Locale::De, Locale::It, Locale::En];

    fn pages() -> Vec<(Locale, LinkState, String)> {
        LOCALES
            .into_iter()
            .flat_map(|locale| {
                [LinkState::Usable, LinkState::Invalid]
                    .map(|link| (locale, link, render(locale, link)))
            })
            .collect()
    }

    #[test]
    fn every_placeholder_is_filled() {
        for (locale, link, html) in pages() {
            assert!(!html.contains("{"), "{locale:?} {link:?}: {html}");
            assert!(!html.contains("}"), "{locale:?} {link:?}: {html}");
        }
    }

    #[test]
    fn pages_have_no_inline_code() {
        for (_, _, html) in pages() {
            crate::playground::assert_no_inline_code(&html);
        }
    }

    #[test]
    fn texts_are_escaped_and_in_the_page_language() {
        let html = render(Locale::Fr, LinkState::Usable);
        assert!(html.contains("<html lang=\"fr\">"));
        // "n'a pas pu" in an attribute: escaped.
        assert!(html.contains("n&#39;a pas pu"), "{html}");
        assert!(html.contains("plusieurs personnes"), "{html}");
        let html = render(Locale::De, LinkState::Invalid);
        assert!(html.contains("<html lang=\"de\">"));
        assert!(
            html.contains("Link ungültig oder abgelaufen"),
            "the dead link in German: {html}"
        );
        assert!(html.contains("<form id=\"reset-form\" novalidate hidden>"));
        let mut out = String::new();
        escape_into(&mut out, "<b a=\"x\">&'");
        assert_eq!(out, "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(fill("{a}{b}{", |n| (n == "a").then_some("{b}")), "{b}{b}{");
    }

    #[test]
    fn the_script_talks_to_this_origin_only_and_drops_the_token() {
        let script = ASSETS[0].body;
        for forbidden in [
            "http://",
            "https://",
            "ws://",
            "//cdn",
            "import(",
            "sourcemappingurl",
        ] {
            assert!(
                !script.to_ascii_lowercase().contains(forbidden),
                "{forbidden}"
            );
        }
        assert_eq!(script.matches("fetch(").count(), 1);
        assert!(script.contains("fetch('/graphql'"));
        assert!(script.contains("history.replaceState"));
        for asset in ASSETS {
            assert!(!asset.body.to_ascii_lowercase().contains("@import"));
        }
    }
}
