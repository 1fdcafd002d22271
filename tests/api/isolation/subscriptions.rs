//! The subscription read path: every user of the world subscribes to
//! `ticketEvents` over `/graphql/ws`; an event is published for each
//! ticket, comment and invoice of the world (as the services publish them,
//! ids only); each user must receive exactly the events of what the oracle
//! lets it see, in publishing order, and nothing else.

use std::time::Duration;

use partnerdesk::clock::Clock as _;
use partnerdesk::live::LiveEvent;
use partnerdesk::relay::to_global_id;
use serde_json::{Value, json};

use super::model::Model;
use super::oracle::{OracleUser, may_see};
use super::world::Inserted;
use crate::helpers::TestApp;
use crate::live::LiveClient;

const DOCUMENT: &str =
    "subscription { ticketEvents { kind ticket { id } comment { id } invoice { id } } }";

/// How long a user's subscription must stay quiet after its last expected
/// event.
const QUIET: Duration = Duration::from_millis(150);

/// One published event, and what the oracle decides on.
struct Published {
    event: LiveEvent,
    /// What a delivery carries: `(kind, global id of its object)`.
    key: (&'static str, String),
    object: super::oracle::WorldObject,
}

/// Runs the check for every user of the world at once; the disagreements.
pub async fn run(app: &TestApp, model: &Model, world: &Inserted) -> Vec<String> {
    let before = app.state.live.subscribers();
    let mut clients = Vec::new();
    for user in &world.users {
        let (token, _) = app
            .state
            .tokens
            .issue(&user.clone().into(), app.clock.now())
            .expect("a token");
        let mut client = LiveClient::with_token(&app.address, &token).await;
        client.subscribe("w", DOCUMENT, json!({})).await;
        clients.push((user.id, client));
    }
    crate::live::subscribed(app, before + clients.len()).await;

    let mut published = Vec::new();
    for &id in &world.tickets {
        let ticket = model.ticket(id);
        published.push(Published {
            event: LiveEvent::TicketCreated {
                organisation_id: ticket.organisation,
                ticket_id: id,
            },
            key: ("TICKET_CREATED", to_global_id("Ticket", id).0),
            object: model.ticket_object(id),
        });
    }
    for &id in &world.comments {
        let ticket = model.ticket(model.comments[&id].ticket);
        published.push(Published {
            event: LiveEvent::CommentAdded {
                organisation_id: ticket.organisation,
                ticket_id: ticket.id,
                comment_id: id,
            },
            key: ("COMMENT_ADDED", to_global_id("Comment", id).0),
            object: model.comment_object(id),
        });
    }
    for &id in &world.invoices {
        published.push(Published {
            event: LiveEvent::InvoiceIssued {
                organisation_id: model.invoices[&id].organisation,
                invoice_id: id,
                ticket_id: None,
            },
            key: ("INVOICE_ISSUED", to_global_id("Invoice", id).0),
            object: model.invoice_object(id),
        });
    }
    for p in &published {
        app.state.live.publish(p.event.clone());
    }

    let checks = clients.into_iter().map(|(user, mut client)| {
        let published = &published;
        async move {
            let viewer = OracleUser::from_model(model, user);
            let expected: Vec<(&str, String)> = published
                .iter()
                .filter(|p| may_see(&viewer, &p.object))
                .map(|p| p.key.clone())
                .collect();
            let mut received = Vec::new();
            while received.len() < expected.len() {
                match tokio::time::timeout(Duration::from_secs(10), client.next()).await {
                    Ok(message) => received.push(delivered(&message)),
                    Err(_) => break,
                }
            }
            if let Ok(extra) = tokio::time::timeout(QUIET, client.next()).await {
                received.push(delivered(&extra));
            }
            let received: Vec<(&str, String)> = received
                .iter()
                .map(|(kind, id)| (kind.as_str(), id.clone()))
                .collect();
            (received != expected).then(|| {
                format!("[ticketEvents] user {user}: expected {expected:?}, received {received:?}")
            })
        }
    });
    let found: Vec<String> = futures_util::future::join_all(checks)
        .await
        .into_iter()
        .flatten()
        .collect();
    // The sockets are closed: wait until the server lets their
    // subscriptions go, so that the next world counts from here.
    tokio::time::timeout(Duration::from_secs(10), async {
        while app.state.live.subscribers() > before {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .ok();
    found
}

/// `(kind, global id of the object)` of a `next` message; what went wrong
/// otherwise.
fn delivered(message: &Value) -> (String, String) {
    let event = &message["payload"]["data"]["ticketEvents"];
    let Some(kind) = event["kind"].as_str() else {
        return ("not an event".to_owned(), message.to_string());
    };
    let object = match kind {
        "COMMENT_ADDED" => &event["comment"]["id"],
        "INVOICE_ISSUED" => &event["invoice"]["id"],
        _ => &event["ticket"]["id"],
    };
    (
        kind.to_owned(),
        object.as_str().unwrap_or("null").to_owned(),
    )
}
