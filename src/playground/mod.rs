//! The in-browser GraphQL IDE served at `GET /`.
//!
//! The page must work on machines without internet access, so it loads
//! nothing from outside: it is a small hand-written IDE (plain HTML, CSS and
//! JavaScript, no build step) embedded in the binary with `include_str!`.
//! It talks only to the same-origin `/graphql` endpoint: introspection for
//! the docs pane and the schema-aware completion, then the user's operations.
//! The script is two ES modules: `app.js` wires the page and imports
//! `core.mjs`, the part without DOM or network (tokenizer, completion,
//! request helpers) that `node --test` checks (`tests/playground/`).
//!
//! Routes of [`router`]:
//!
//! | path                  | content                      |
//! |-----------------------|------------------------------|
//! | `/`                   | the page (`index.html`)      |
//! | `/playground/app.js`  | the IDE's script (a module)  |
//! | `/playground/core.mjs`| what it imports              |
//! | `/playground/app.css` | the IDE's style sheet        |
//!
//! The page carries a strict `Content-Security-Policy` (scripts and styles
//! from this origin only, no inline code, requests to this origin only, no
//! framing), so even a hostile description in the schema rendered by the
//! docs pane cannot run code or leak data elsewhere.
//!
//! Every response has a strong `ETag` computed at compile time from the
//! embedded bytes and `Cache-Control: no-cache`: the URLs are not versioned,
//! so browsers must revalidate, which costs a `304` and no body once cached.

use axum::{
    Router,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

/// Policy of the page: everything from this origin, nothing inline, no
/// plugins, no framing, no form posts, no `<base>` rewriting.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; connect-src 'self'; \
     img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One embedded file and the path it is served at (also the reset page's
/// script and style sheet, served by [`serve`] the same way).
#[derive(Clone, Copy)]
pub(crate) struct Asset {
    pub(crate) path: &'static str,
    content_type: &'static str,
    pub(crate) body: &'static str,
    /// FNV-1a hash of `body`, the `ETag`.
    hash: u64,
}

impl Asset {
    pub(crate) const fn new(
        path: &'static str,
        content_type: &'static str,
        body: &'static str,
    ) -> Self {
        Self {
            path,
            content_type,
            body,
            hash: fnv1a(body.as_bytes()),
        }
    }
}

/// 64-bit FNV-1a; `const` so that the hashes cost nothing at run time. Not
/// cryptographic: it only has to change when the embedded file changes.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The HTML page.
const PAGE: Asset = Asset::new("/", "text/html; charset=utf-8", include_str!("index.html"));

/// What the page loads.
const ASSETS: [Asset; 3] = [
    Asset::new(
        "/playground/app.js",
        "text/javascript; charset=utf-8",
        include_str!("app.js"),
    ),
    Asset::new(
        "/playground/core.mjs",
        "text/javascript; charset=utf-8",
        include_str!("core.mjs"),
    ),
    Asset::new(
        "/playground/app.css",
        "text/css; charset=utf-8",
        include_str!("app.css"),
    ),
];

/// Routes of the GraphQL IDE: the page at `GET /` and its assets under
/// `/playground/`. Generic over the state so that it merges into the
/// application's router whatever its state; the handlers use none.
///
/// The page expects the GraphQL endpoint at `POST /graphql` on the same
/// origin (queries and mutations over HTTP; introspection must be enabled
/// for the docs pane and the completion).
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let mut router = Router::new();
    for asset in std::iter::once(PAGE).chain(ASSETS) {
        router = router.route(
            asset.path,
            get(move |headers: HeaderMap| async move { serve(asset, &headers) }),
        );
    }
    router
}

/// The asset, or `304 Not Modified` when the browser already holds it.
pub(crate) fn serve(asset: Asset, request: &HeaderMap) -> Response {
    let etag = format!("\"{:016x}\"", asset.hash);
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if asset.path == PAGE.path {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if if_none_match(request, &etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    (headers, asset.body).into_response()
}

/// Whether `If-None-Match` lists `etag` (weak comparison, as RFC 9110 asks
/// for this header) or is `*`.
fn if_none_match(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// Fails unless `html` holds no inline code: no style sheet or style
/// attribute, no script with a body or not a same-origin module, no
/// `javascript:` URL, no event handler attribute. The strict policy would
/// block any of them, and the page would break.
#[cfg(test)]
pub(crate) fn assert_no_inline_code(html: &str) {
    let html = html.to_ascii_lowercase();
    assert!(!html.contains("<style"), "inline style sheet");
    assert!(!html.contains(" style="), "inline style attribute");
    assert!(!html.contains("javascript:"), "javascript: URL");
    let scripts = html.matches("<script").count();
    assert_eq!(
        scripts,
        html.matches("<script type=\"module\" src=\"/").count(),
        "inline script"
    );
    assert_eq!(
        scripts,
        html.matches("></script>").count(),
        "script with a body"
    );
    // Event handler attributes (` onclick=` …) are inline scripts too.
    for (at, _) in html.match_indices(" on") {
        let name: String = html[at + 1..]
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        assert!(
            !html[at + 1 + name.len()..].starts_with('='),
            "event handler attribute `{name}`"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{body::Body, http::Request};
    use tower::ServiceExt;

    async fn get(path: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        router::<()>()
            .oneshot(request.body(Body::empty()).expect("valid request"))
            .await
            .expect("infallible")
    }

    async fn body_text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        String::from_utf8(bytes.to_vec()).expect("UTF-8 body")
    }

    /// Values of `attribute="…"` in the page, in order.
    fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
        let needle = format!(" {attribute}=\"");
        html.match_indices(&needle)
            .filter_map(|(at, _)| {
                let rest = &html[at + needle.len()..];
                rest.find('"').map(|end| rest[..end].to_owned())
            })
            .collect()
    }

    #[test]
    fn nothing_is_loaded_from_outside() {
        for asset in std::iter::once(PAGE).chain(ASSETS) {
            let text = asset.body.to_ascii_lowercase();
            for forbidden in [
                "http://",
                "https://",
                "ws://",
                "wss://",
                "//cdn",
                "\"//",
                "'//",
                "`//",
                "(//",
                "=//",
                "@import",
                "import(",
                "importscripts",
                "sourcemappingurl",
            ] {
                assert!(
                    !text.contains(forbidden),
                    "{} contains `{forbidden}`",
                    asset.path
                );
            }
        }
        // The only endpoint the scripts talk to is the same-origin one.
        let scripts: Vec<&str> = ASSETS
            .iter()
            .filter(|asset| asset.content_type.starts_with("text/javascript"))
            .map(|asset| asset.body)
            .collect();
        assert!(scripts.iter().any(|script| script.contains("'/graphql'")));
        let fetches: usize = scripts.iter().map(|s| s.matches("fetch(").count()).sum();
        assert_eq!(fetches, 1, "one fetch call site");
        // And subscriptions the same origin's socket, opened in one place.
        assert!(
            scripts
                .iter()
                .any(|script| script.contains("'/graphql/ws'"))
        );
        let sockets: usize = scripts
            .iter()
            .map(|s| s.matches("new WebSocket").count())
            .sum();
        assert_eq!(sockets, 1, "one WebSocket construction site");
    }

    #[tokio::test]
    async fn every_imported_module_is_served() {
        let mut imports = 0;
        for asset in ASSETS {
            for (at, _) in asset.body.match_indices("from '") {
                let rest = &asset.body[at + "from '".len()..];
                let Some(end) = rest.find('\'') else { continue };
                let Some(name) = rest[..end].strip_prefix("./") else {
                    panic!(
                        "{}: import of `{}` is not relative",
                        asset.path,
                        &rest[..end]
                    );
                };
                imports += 1;
                let path = format!("/playground/{name}");
                let response = get(&path, &[]).await;
                assert_eq!(response.status(), StatusCode::OK, "{path}");
                assert_eq!(
                    response.headers()[header::CONTENT_TYPE],
                    "text/javascript; charset=utf-8"
                );
            }
        }
        assert!(imports > 0, "the page's module imports its core");
    }

    #[test]
    fn page_has_no_inline_code() {
        assert_no_inline_code(PAGE.body);
    }

    #[tokio::test]
    async fn every_referenced_asset_is_served() {
        let html = PAGE.body;
        let mut references: Vec<String> = attribute_values(html, "src");
        references.extend(attribute_values(html, "href"));
        // The favicon is an empty `data:` URL, which spares a request.
        references.retain(|reference| reference != "data:,");
        assert!(references.len() >= ASSETS.len(), "{references:?}");
        for reference in references {
            assert!(
                reference.starts_with('/') && !reference.starts_with("//"),
                "`{reference}` is not a same-origin absolute path"
            );
            let response = get(&reference, &[]).await;
            assert_eq!(response.status(), StatusCode::OK, "{reference}");
            let expected = if reference.ends_with(".js") || reference.ends_with(".mjs") {
                "text/javascript; charset=utf-8"
            } else if reference.ends_with(".css") {
                "text/css; charset=utf-8"
            } else {
                panic!("unexpected asset type: {reference}")
            };
            let headers = response.headers();
            assert_eq!(headers[header::CONTENT_TYPE], expected, "{reference}");
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
            assert!(!body_text(response).await.is_empty(), "{reference}");
        }
    }

    #[tokio::test]
    async fn page_is_served_with_a_strict_policy() {
        let response = get("/", &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        let policy = headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ASCII policy");
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(directive), "{policy}");
        }
        assert!(!policy.contains("unsafe"), "{policy}");
        assert!(body_text(response).await.contains("/playground/app.js"));
    }

    #[tokio::test]
    async fn cached_copies_are_revalidated() {
        let first = get("/playground/app.js", &[]).await;
        let etag = first.headers()[header::ETAG]
            .to_str()
            .expect("ASCII ETag")
            .to_owned();
        let again = get("/playground/app.js", &[("if-none-match", &etag)]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(body_text(again).await.is_empty());
        let weak = format!("\"other\", W/{etag}");
        let again = get("/playground/app.js", &[("if-none-match", &weak)]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let stale = get("/playground/app.js", &[("if-none-match", "\"0\"")]).await;
        assert_eq!(stale.status(), StatusCode::OK);
        // Another file has another tag.
        let css = get("/playground/app.css", &[]).await;
        assert_ne!(css.headers()[header::ETAG], etag.as_str());
    }

    #[tokio::test]
    async fn unknown_paths_are_not_found() {
        let response = get("/playground/missing.js", &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
