//! The feedback type, its list and `giveFeedback`.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::feedback;

use crate::context::ContextExt as _;
use crate::error::AppResult;
use crate::organisations::types::Organisation;
use crate::relay::{self, Page, PageArgs, SortKey, SortValue};
use crate::users::types::Person;

pub const TYPE_NAME: &str = "Feedback";

/// A message sent with the "give feedback" button.
#[derive(Debug, Clone)]
pub struct Feedback(pub feedback::Model);

/// A message a partner sent to the provider with the "give feedback"
/// button, about the service rather than one ticket.
#[Object]
impl Feedback {
    /// Global object id.
    pub async fn id(&self) -> ID {
        relay::to_global_id(TYPE_NAME, self.0.id)
    }

    /// The message as written (1 to 5,000 characters, line breaks kept).
    async fn message(&self) -> &str {
        &self.0.message
    }

    /// When it was sent.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who sent it; null when the viewer may not know them.
    async fn author(&self, ctx: &Context<'_>) -> AppResult<Option<Person>> {
        Person::load(ctx, self.0.author_id).await
    }

    /// The organisation of the author.
    async fn organisation(&self, ctx: &Context<'_>) -> AppResult<Organisation> {
        Organisation::load(ctx, self.0.organisation_id).await
    }
}

#[derive(Default)]
pub struct FeedbackQuery;

#[Object]
impl FeedbackQuery {
    /// Feedback the viewer may read, newest first: staff all, managers
    /// their organisation's, members their own.
    #[graphql(complexity = "crate::relay::page_complexity(first, last, child_complexity)")]
    async fn feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items to return from the start of the list, or after `after`: 0 to 100. A page holds 20 items when neither `first` nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Start after this cursor (an edge's `cursor`, or `pageInfo.endCursor` to get the next page)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "How many items to return from the end of the list, or before `before`: 0 to 100. Not together with `first`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "End before this cursor (an edge's `cursor`, or `pageInfo.startCursor` to get the previous page)."
        )]
        before: Option<String>,
    ) -> AppResult<Page<Feedback>> {
        let args = PageArgs::parse(first, after, last, before)?;
        let scope = ctx.scope()?;
        relay::paginate(
            &ctx.state()?.db,
            scope.feedback(),
            SortKey {
                column: feedback::Column::CreatedAt,
                id: feedback::Column::Id,
                descending: true,
                value_of: |row: &feedback::Model| SortValue::Time(row.created_at),
            },
            args,
            Feedback,
        )
        .await
    }
}

/// The sent feedback.
#[derive(SimpleObject)]
pub struct GiveFeedbackPayload {
    /// The feedback as stored.
    pub feedback: Feedback,
}

#[derive(Default)]
pub struct FeedbackMutation;

#[Object]
impl FeedbackMutation {
    /// Sends feedback to the provider (1 to 5,000 characters).
    async fn give_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The message: 1 to 5,000 characters, line breaks allowed.")]
        message: String,
    ) -> AppResult<GiveFeedbackPayload> {
        let row = super::service::give_feedback(ctx.state()?, ctx.scope()?, &message).await?;
        Ok(GiveFeedbackPayload {
            feedback: Feedback(row),
        })
    }
}
