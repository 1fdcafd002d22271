//! `GET /graphql/ws`: GraphQL subscriptions over WebSocket, with the
//! graphql-transport-ws protocol (the one of the `graphql-ws` library).
//!
//! The access token comes in the `connection_init` payload, as
//! `{"token": "<token>"}` or `{"Authorization": "Bearer <token>"}` (the
//! headers pane of the IDE, sent as is). A missing, invalid, expired or
//! revoked token refuses the connection: the socket closes with code 4403
//! (Forbidden), as the protocol recommends. Each `subscribe` then runs like
//! an HTTP request of its own: the token is checked again, and the
//! operation gets the viewer's scope, context and loaders. Only
//! subscriptions are served here; queries and mutations go to
//! `POST /graphql`, which owns the HTTP rules.

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::http::{WebSocket as GraphQLWebSocket, WebSocketProtocols, WsMessage};
use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, Request, Response, ServerError};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use futures_util::stream::{self, BoxStream, StreamExt as _};
use futures_util::{SinkExt as _, future};

use crate::context::RequestContext;
use crate::error::AppError;
use crate::graphql::AppSchema;
use crate::http::{MAX_BODY_BYTES, ServerState};
use crate::policy::Scope;
use crate::state::AppState;

/// The WebSocket subprotocol served.
pub const PROTOCOL: &str = "graphql-transport-ws";

/// The close code of a refused `connection_init`.
pub const FORBIDDEN: u16 = 4403;

/// The close reason of a refused `connection_init`.
const REFUSED: &str = "Forbidden: connection_init needs a valid access token";

/// The close code at shutdown: WebSocket's "going away" (RFC 6455 §7.4.1),
/// as the `graphql-ws` server uses when it is disposed of.
pub const GOING_AWAY: u16 = 1001;

/// At shutdown, how long a socket waits for one more `complete` message of
/// its ending subscriptions before it closes.
const LAST_WORDS: std::time::Duration = std::time::Duration::from_millis(250);

/// The token a connection was opened with, and when it expires (Unix
/// seconds). `Debug` does not print the token.
#[derive(Clone)]
pub struct LiveSession {
    token: Arc<str>,
    pub expires_at: i64,
}

impl LiveSession {
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl std::fmt::Debug for LiveSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSession")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// `GET /graphql/ws`: upgrades to graphql-transport-ws; 400 for a client
/// that does not offer that protocol.
pub async fn subscribe(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    let upgrade = upgrade
        .protocols([PROTOCOL])
        .max_message_size(MAX_BODY_BYTES);
    if upgrade.selected_protocol().is_none() {
        return (
            StatusCode::BAD_REQUEST,
            "offer the graphql-transport-ws WebSocket subprotocol",
        )
            .into_response();
    }
    let client_addr =
        crate::http::client_address(peer.ip(), &headers, &state.app.config.trusted_proxies)
            .to_string();
    let executor = LiveExecutor {
        schema: state.schema,
        app: state.app,
        client_addr: client_addr.into(),
        headers: Arc::new(headers),
    };
    upgrade.on_upgrade(move |socket| serve(socket, executor))
}

/// Runs the protocol on one socket until either side closes it, or until
/// the instance shuts down: then its subscriptions complete and the socket
/// closes with [`GOING_AWAY`].
async fn serve(socket: WebSocket, executor: LiveExecutor) {
    let _open = executor.app.live.socket_opened();
    let mut closing = executor.app.live.closing();
    let (mut sink, source) = socket.split();
    let input = source
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    let app = executor.app.clone();
    let messages = GraphQLWebSocket::new(executor, input, WebSocketProtocols::GraphQLWS)
        .on_connection_init(move |payload| connection_init(app, payload));
    futures_util::pin_mut!(messages);
    loop {
        let message = tokio::select! {
            message = messages.next() => Some(message),
            // A broker gone is a shutdown too.
            _ = closing.wait_for(|closing| *closing) => None,
        };
        let Some(message) = message else {
            // The subscriptions end on the same signal: pass on their
            // `complete` messages, then say goodbye.
            while let Ok(Some(WsMessage::Text(text))) =
                tokio::time::timeout(LAST_WORDS, messages.next()).await
            {
                if sink.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code: GOING_AWAY,
                    reason: "Going away".into(),
                })))
                .await;
            // The client's closing frame ends the input.
            let _ = tokio::time::timeout(LAST_WORDS, async {
                while messages.next().await.is_some() {}
            })
            .await;
            return;
        };
        let Some(message) = message else { break };
        let message = match message {
            WsMessage::Text(text) => Message::Text(text.into()),
            WsMessage::Close(code, reason) => {
                let code = if reason == REFUSED { FORBIDDEN } else { code };
                Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                }))
            }
        };
        if sink.send(message).await.is_err() {
            break;
        }
    }
}

/// The token of a `connection_init` payload: `token`, or an
/// `Authorization` entry with the bearer scheme (any case).
fn token_of(payload: &serde_json::Value) -> Option<&str> {
    let object = payload.as_object()?;
    if let Some(token) = object.get("token") {
        return token.as_str();
    }
    let (_, authorization) = object
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))?;
    let (scheme, token) = authorization.as_str()?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// Accepts the connection for a valid token; refuses it otherwise.
async fn connection_init(app: AppState, payload: serde_json::Value) -> async_graphql::Result<Data> {
    let refused = || async_graphql::Error::new(REFUSED);
    let token = token_of(&payload)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(refused)?;
    let claims = crate::auth::authenticate_token(&app, token)
        .await
        .map_err(|e| {
            if let AppError::Internal(cause) = e {
                tracing::error!(error = ?cause, "internal error checking a connection's token");
            }
            refused()
        })?
        .claims;
    let mut data = Data::default();
    data.insert(LiveSession {
        token: token.into(),
        expires_at: claims.exp,
    });
    Ok(data)
}

/// Runs each subscription as the connection's viewer, checked anew.
#[derive(Clone)]
struct LiveExecutor {
    schema: AppSchema,
    app: AppState,
    client_addr: Arc<str>,
    /// The upgrade request's headers (the language, for a viewer without one).
    headers: Arc<HeaderMap>,
}

impl LiveExecutor {
    async fn prepare(&self, request: Request, session: Arc<Data>) -> BoxStream<'static, Response> {
        if !is_subscription(&request) {
            return refusal(AppError::InvalidRequest(
                crate::error::InvalidRequest::Malformed(
                    "only subscriptions are served here; send queries and mutations to POST /graphql"
                        .to_owned(),
                ),
            ));
        }
        let Some(live) = session
            .get(&std::any::TypeId::of::<LiveSession>())
            .and_then(|data| data.downcast_ref::<LiveSession>())
        else {
            return refusal(AppError::Unauthenticated);
        };
        let authenticated = match crate::auth::authenticate_token(&self.app, live.token()).await {
            Ok(found) => found,
            Err(e) => return refusal(e),
        };
        let scope = Scope::new(authenticated.viewer);
        let locale = crate::i18n::request_locale(Some(authenticated.locale), &self.headers);
        let request = request.data(RequestContext {
            locale,
            state: self.app.clone(),
            scope: Some(scope.clone()),
            client_addr: self.client_addr.to_string(),
        });
        // Loaders read afresh for every event of a subscription.
        let request =
            crate::loaders::register(request, &self.app, scope, crate::loaders::Caching::Off);
        self.schema
            .execute_stream_with_session_data(request, session)
            .map(|mut response| {
                for error in &mut response.errors {
                    crate::error::classify_executor_error(error);
                }
                response
            })
            .boxed()
    }
}

/// One error response, then the end of the operation.
fn refusal(error: AppError) -> BoxStream<'static, Response> {
    let error = async_graphql::Error::from(error).into_server_error(Default::default());
    stream::once(future::ready(Response::from_errors(vec![error]))).boxed()
}

/// Whether the operation the request runs is a subscription (a request
/// that does not parse is left to the executor, which says why).
fn is_subscription(request: &Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return true;
    };
    let operation = match &request.operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(n, _)| n.map(|n| n.as_str()) == Some(name.as_str()))
            .map(|(_, op)| op),
        None => document.operations.iter().next().map(|(_, op)| op),
    };
    operation.is_none_or(|op| op.node.ty == OperationType::Subscription)
}

impl Executor for LiveExecutor {
    async fn execute(&self, _request: Request) -> Response {
        Response::from_errors(vec![ServerError::new(
            "send queries and mutations to POST /graphql",
            None,
        )])
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let this = self.clone();
        stream::once(async move {
            this.prepare(request, session_data.unwrap_or_default())
                .await
        })
        .flatten()
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_token_comes_bare_or_as_a_bearer_header() {
        assert_eq!(token_of(&json!({ "token": "abc" })), Some("abc"));
        assert_eq!(
            token_of(&json!({ "Authorization": "Bearer abc" })),
            Some("abc")
        );
        assert_eq!(
            token_of(&json!({ "authorization": "bearer abc" })),
            Some("abc")
        );
        assert_eq!(token_of(&json!({ "Authorization": "Basic abc" })), None);
        assert_eq!(token_of(&json!({ "token": 5 })), None);
        assert_eq!(token_of(&json!(null)), None);
        assert_eq!(token_of(&json!({})), None);
    }
}
