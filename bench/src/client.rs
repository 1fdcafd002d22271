//! A server under test: where its GraphQL endpoint and metrics are, and
//! which process it is, so that its CPU time can be read.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;

use crate::scenario::Api;

/// One server the driver sends requests to.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub api: Api,
    graphql: String,
    metrics: String,
    /// The server's process id, for its CPU time (same machine only).
    pub pid: Option<u32>,
    client: reqwest::Client,
}

/// What one request came to.
pub enum Outcome {
    Ok,
    /// An HTTP error status or GraphQL errors in the answer.
    Failed,
}

impl Target {
    /// `spec` is `NAME=URL`, the URL being the server's base
    /// (`http://127.0.0.1:8080`); the GraphQL endpoint is `/graphql`.
    /// `postgraphile:NAME=URL` names a PostGraphile server over the same
    /// database.
    pub fn parse(
        spec: &str,
        pids: &HashMap<String, u32>,
        connections: usize,
    ) -> anyhow::Result<Self> {
        let (api, named) = match spec.strip_prefix("postgraphile:") {
            Some(rest) => (Api::Postgraphile, rest),
            None => (Api::Partnerdesk, spec),
        };
        let (name, base) = named
            .split_once('=')
            .with_context(|| format!("--target {spec:?}: expected NAME=URL"))?;
        let base = base.trim_end_matches('/');
        if !base.starts_with("http://") && !base.starts_with("https://") {
            anyhow::bail!("--target {spec:?}: the URL must start with http:// or https://");
        }
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .timeout(Duration::from_secs(60))
            .build()
            .context("HTTP client")?;
        Ok(Self {
            name: name.to_owned(),
            api,
            graphql: format!("{base}/graphql"),
            metrics: format!("{base}/metrics"),
            pid: pids.get(name).copied(),
            client,
        })
    }

    /// Posts a GraphQL body and returns the answer's JSON.
    pub async fn post(&self, body: &Value, token: Option<&str>) -> anyhow::Result<Value> {
        let mut request = self.client.post(&self.graphql).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{}: POST {}", self.name, self.graphql))?;
        response
            .json()
            .await
            .with_context(|| format!("{}: the answer is not JSON", self.name))
    }

    /// Posts a GraphQL body that must succeed; returns the request id the
    /// server gave it (`x-request-id`), to find its lines in the log.
    pub async fn post_for_request_id(
        &self,
        body: &Value,
        token: Option<&str>,
    ) -> anyhow::Result<String> {
        let mut request = self.client.post(&self.graphql).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{}: POST {}", self.name, self.graphql))?;
        let id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .with_context(|| format!("{}: the answer has no x-request-id", self.name))?;
        let answer: Value = response
            .json()
            .await
            .with_context(|| format!("{}: the answer is not JSON", self.name))?;
        if answer.get("errors").is_some() {
            anyhow::bail!("{}: {answer}", self.name);
        }
        Ok(id)
    }

    /// Posts a prepared body; only whether it succeeded counts.
    pub async fn send(&self, body: &[u8], token: Option<&str>) -> Outcome {
        let mut request = self
            .client
            .post(&self.graphql)
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let Ok(response) = request.send().await else {
            return Outcome::Failed;
        };
        let ok = response.status().is_success();
        match response.bytes().await {
            // An answer with errors carries `"errors":` at its top level;
            // data never holds that key, since no field is named `errors`.
            Ok(bytes) if ok && !contains(&bytes, b"\"errors\":") => Outcome::Ok,
            _ => Outcome::Failed,
        }
    }

    /// The `/metrics` scrape, or `None` when the server has none.
    pub async fn metrics(&self) -> Option<String> {
        let response = self.client.get(&self.metrics).send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.text().await.ok()
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
