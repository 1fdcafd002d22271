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

#[Object]
impl Feedback {
    /// Global object id.
    pub async fn id(&self) -> ID {
        relay::to_global_id(TYPE_NAME, self.0.id)
    }

    async fn message(&self) -> &str {
        &self.0.message
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn author(&self, ctx: &Context<'_>) -> AppResult<Option<Person>> {
        Person::load(ctx, self.0.author_id).await
    }

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
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
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
        message: String,
    ) -> AppResult<GiveFeedbackPayload> {
        let row = super::service::give_feedback(ctx.state()?, ctx.scope()?, &message).await?;
        Ok(GiveFeedbackPayload {
            feedback: Feedback(row),
        })
    }
}
