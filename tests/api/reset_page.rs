//! The reset-password page over HTTP: the emailed link opens it in the
//! user's language, a dead link says so in the request's language, and
//! nothing about the page lets the token leak. The browser test
//! (`browser::the_reset_page_works_in_a_browser_without_network`) drives
//! the form itself.

use entity::enums::Locale;
use entity::users;
use reqwest::StatusCode;
use sea_orm::ActiveModelTrait as _;
use sea_orm::ActiveValue::Set;
use serde_json::json;

use crate::helpers::{TestApp, TestUser, spawn_app_configured, world};

pub const REQUEST_RESET: &str =
    "mutation($email: String!) { requestPasswordReset(email: $email) { message } }";

/// Gives `user` the language `locale`.
pub async fn set_locale(app: &TestApp, user: &TestUser, locale: Locale) {
    users::ActiveModel {
        id: Set(user.user.id),
        locale: Set(locale),
        ..Default::default()
    }
    .update(&app.state.db)
    .await
    .expect("set the locale");
}

/// The page at `path_and_query`, asked for in `accept_language`.
async fn open(
    app: &TestApp,
    path_and_query: &str,
    accept_language: &str,
) -> (reqwest::header::HeaderMap, String) {
    let response = app
        .client
        .get(format!("{}{path_and_query}", app.address))
        .header("accept-language", accept_language)
        .send()
        .await
        .expect("GET the page");
    assert_eq!(response.status(), StatusCode::OK, "{path_and_query}");
    let headers = response.headers().clone();
    (headers, response.text().await.expect("HTML"))
}

#[tokio::test]
async fn the_emailed_link_opens_the_page_in_the_users_language() {
    let w = world().await;
    set_locale(&w.app, &w.member, Locale::De).await;
    // The request's answer carries the warning about shared addresses,
    // in the language of the request.
    let answer = w
        .app
        .client
        .post(format!("{}/graphql", w.app.address))
        .header("accept-language", "it-CH, it;q=0.9")
        .json(&json!({ "query": REQUEST_RESET, "variables": { "email": w.member.email } }))
        .send()
        .await
        .expect("request a reset")
        .json::<serde_json::Value>()
        .await
        .expect("JSON");
    let message = answer["data"]["requestPasswordReset"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    assert!(message.contains("più persone"), "{message}");
    let token = w.app.emailed_token(&w.member.email).await;

    let (headers, html) = open(&w.app, &format!("/reset-password?token={token}"), "en").await;
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let policy = headers["content-security-policy"].to_str().expect("ASCII");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    // The user's language wins over the browser's.
    assert!(html.contains("<html lang=\"de\">"), "{html}");
    assert!(html.contains("Neues Passwort"), "{html}");
    assert!(html.contains("mehrere Personen"), "the warning: {html}");
    assert!(
        html.contains("<form id=\"reset-form\" novalidate>"),
        "the form is shown: {html}"
    );
    // The page repeats neither the token nor who the link is for.
    for secret in [token.as_str(), &w.member.email, "Max Member"] {
        assert!(!html.contains(secret), "the page shows `{secret}`");
    }
    // What it loads is served, from this origin.
    for asset in ["/reset-password/reset.js", "/reset-password/reset.css"] {
        assert!(html.contains(&format!("\"{asset}\"")), "{asset}");
        let response = w
            .app
            .client
            .get(format!("{}{asset}", w.app.address))
            .send()
            .await
            .expect("asset");
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
    }
}

#[tokio::test]
async fn a_dead_link_says_so_in_the_requests_language() {
    let w = world().await;
    w.app
        .graphql(REQUEST_RESET, json!({ "email": w.member.email }), None)
        .await;
    let token = w.app.emailed_token(&w.member.email).await;
    let dead = |html: &str, lang: &str, words: &str| {
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{html}");
        assert!(html.contains(words), "{html}");
        assert!(
            html.contains("novalidate hidden>"),
            "no form for a dead link: {html}"
        );
    };

    // Unknown, missing, empty or malformed: the browser's language.
    let (_, html) = open(&w.app, "/reset-password?token=nonsense", "it").await;
    dead(&html, "it", "Link non valido o scaduto");
    let (_, html) = open(&w.app, "/reset-password", "de-CH").await;
    dead(&html, "de", "Link ungültig oder abgelaufen");
    let (_, html) = open(&w.app, "/reset-password?token=", "xx").await;
    dead(&html, "en", "This link is invalid or has expired");
    let (_, html) = open(&w.app, "/reset-password?token=%ZZ&token=a", "fr").await;
    dead(&html, "fr", "Lien non valable ou expiré");

    // Opening dead links wrote nothing: the real one still opens the form.
    let (_, html) = open(&w.app, &format!("/reset-password?token={token}"), "en").await;
    assert!(
        html.contains("<html lang=\"fr\">"),
        "the user's language: {html}"
    );
    assert!(!html.contains("novalidate hidden>"), "{html}");

    // Expired: an hour later the same link is dead.
    w.app.clock.advance(chrono::Duration::minutes(61));
    let (_, html) = open(&w.app, &format!("/reset-password?token={token}"), "de").await;
    dead(&html, "de", "Link ungültig oder abgelaufen");
}

#[tokio::test]
async fn a_used_link_is_dead_and_production_serves_the_page() {
    let app = spawn_app_configured(|config| {
        config.production = true;
        config.introspection = false;
        config.seed_demo_data = false;
        config.graphql_get = false;
    })
    .await;
    let w = crate::helpers::world_on(app).await;
    w.app
        .graphql(REQUEST_RESET, json!({ "email": w.member.email }), None)
        .await;
    let token = w.app.emailed_token(&w.member.email).await;
    let (_, html) = open(&w.app, &format!("/reset-password?token={token}"), "en").await;
    assert!(
        html.contains("<form id=\"reset-form\" novalidate>"),
        "{html}"
    );
    let reset = w
        .app
        .graphql(
            "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { ok } }",
            json!({ "t": token, "p": "a brand new passphrase" }),
            None,
        )
        .await;
    assert_eq!(reset["data"]["resetPassword"]["ok"], true, "{reset}");
    let (_, html) = open(&w.app, &format!("/reset-password?token={token}"), "en").await;
    assert!(
        html.contains("<html lang=\"en\">"),
        "a used link names nobody's language: {html}"
    );
    assert!(html.contains("novalidate hidden>"), "{html}");
}

/// Types `text` into the input `id` in place of what it holds, as an
/// input method would.
async fn type_into(browser: &mut crate::browser::Browser, id: &str, text: &str) {
    browser
        .eval(&format!(
            "(() => {{ const i = document.getElementById({id:?}); i.focus(); i.select(); }})()"
        ))
        .await;
    browser
        .call("Input.insertText", json!({ "text": text }))
        .await;
}

/// The visible text of element `id`, once it is shown and not empty.
async fn shown_text(browser: &mut crate::browser::Browser, id: &str, what: &str) -> String {
    browser
        .wait_for(
            &format!(
                "(() => {{ const e = document.getElementById({id:?});
                   return !e.hidden && e.offsetParent !== null && e.textContent; }})()"
            ),
            what,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Opens `url` and waits for the page's script to be ready; checks that
/// the token left the address bar.
async fn open_in(browser: &mut crate::browser::Browser, url: &str) {
    browser.call("Page.navigate", json!({ "url": url })).await;
    browser
        .wait_for(
            "document.getElementById('reset')?.dataset.ready === 'true'",
            "the page's script",
        )
        .await;
    let location = browser.eval("window.location.href").await;
    assert!(
        location
            .as_str()
            .is_some_and(|l| l.ends_with("/reset-password")),
        "the token is out of the address bar: {location}"
    );
}

#[tokio::test]
async fn the_reset_page_works_in_a_browser_without_network() {
    let Some(binary) = crate::browser::chromium() else {
        return;
    };
    let w = world().await;
    let app = &w.app;
    // The member reads French; the Beta member Italian.
    set_locale(app, &w.beta_member, Locale::It).await;
    for user in [&w.member, &w.beta_member] {
        app.graphql(REQUEST_RESET, json!({ "email": user.email }), None)
            .await;
    }
    let token = app.emailed_token(&w.member.email).await;
    let beta_token = app.emailed_token(&w.beta_member.email).await;
    // The emailed link, on the test server's address.
    let link = |token: &str| format!("{}/reset-password?token={token}", app.address);

    let mut browser = crate::browser::Browser::launch(&binary).await;
    browser.assert_offline().await;
    open_in(&mut browser, &link(&token)).await;
    assert_eq!(browser.eval("document.documentElement.lang").await, "fr");

    // A password too short: the server's reason, in French, at its field.
    type_into(&mut browser, "password", "court").await;
    type_into(&mut browser, "confirm", "court").await;
    browser.click("#submit").await;
    let error = shown_text(&mut browser, "password-error", "the password's error").await;
    assert_eq!(error, "Au moins 10 caractères");
    // Two different passwords: said in the page, before any request.
    type_into(&mut browser, "password", "une phrase assez longue").await;
    type_into(&mut browser, "confirm", "une autre phrase").await;
    browser.click("#submit").await;
    let error = shown_text(&mut browser, "confirm-error", "the mismatch").await;
    assert_eq!(error, "Les deux mots de passe ne sont pas identiques");

    // The new password, then success.
    let new_password = "une phrase assez longue";
    type_into(&mut browser, "confirm", new_password).await;
    browser.click("#submit").await;
    let done = shown_text(&mut browser, "success", "the success message").await;
    assert!(
        done.starts_with("Votre mot de passe a été changé"),
        "{done}"
    );
    let form_hidden = browser
        .eval("document.getElementById('reset-form').hidden")
        .await;
    assert_eq!(form_hidden, json!(true));

    let backend = if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    };
    let screenshot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("browser")
        .join(format!("reset-{backend}.png"));
    browser.screenshot(&screenshot).await;
    println!("screenshot of the reset page: {}", screenshot.display());

    // The new password logs in through the API; the old one no longer.
    let logged_in = app.login(&w.member.email, new_password).await;
    assert!(!logged_in.is_empty());
    let old = app
        .graphql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": w.member.email, "p": crate::helpers::PASSWORD }),
            None,
        )
        .await;
    assert_eq!(
        crate::helpers::error_code(&old),
        Some("UNAUTHENTICATED"),
        "{old}"
    );

    // A link that expires while the page is open: the server's error, in
    // Italian, in place of the form.
    open_in(&mut browser, &link(&beta_token)).await;
    assert_eq!(browser.eval("document.documentElement.lang").await, "it");
    app.clock.advance(chrono::Duration::minutes(61));
    type_into(&mut browser, "password", "una frase abbastanza lunga").await;
    type_into(&mut browser, "confirm", "una frase abbastanza lunga").await;
    browser.click("#submit").await;
    let status = shown_text(&mut browser, "status", "the expired link's error").await;
    assert_eq!(status, "Link non valido o scaduto; richiedetene uno nuovo");
    let form_hidden = browser
        .eval("document.getElementById('reset-form').hidden")
        .await;
    assert_eq!(form_hidden, json!(true));

    // An invalid link: said at once, in the browser's language.
    open_in(&mut browser, &link("not-a-token")).await;
    let status = shown_text(&mut browser, "status", "the invalid link's error").await;
    assert!(
        status.starts_with("This link is invalid or has expired"),
        "{status}"
    );

    // Nothing left the origin, no request carried a Referer or the token
    // in a header (the token was in the page's address), and no script
    // failed.
    let origin = format!("{}/", app.address);
    let outside = browser.requests_outside(&origin, "/graphql");
    assert!(
        outside.is_empty(),
        "requests outside the origin: {outside:?}"
    );
    let referers: Vec<&serde_json::Value> = browser
        .events
        .iter()
        .filter(|e| e["method"] == "Network.requestWillBeSent")
        .filter(|e| {
            // DevTools lists the header with an empty value when none is sent.
            e["params"]["request"]["headers"]
                .as_object()
                .is_some_and(|h| {
                    h.iter().any(|(name, value)| {
                        (name.eq_ignore_ascii_case("referer") && value != "")
                            || value.as_str().is_some_and(|v| v.contains(&token))
                    })
                })
        })
        .collect();
    assert!(
        referers.is_empty(),
        "requests with a Referer: {referers:#?}"
    );
    let problems = browser.problems();
    assert!(problems.is_empty(), "errors in the page: {problems:#?}");
}
