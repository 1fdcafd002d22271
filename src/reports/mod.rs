//! Internal reporting (SPEC §4 `reports`): ticket counts, shipments per
//! period, lead times, devices, billing totals and feedback, each one SQL
//! aggregate over what the viewer may see.
//!
//! One root, `Query.reports`, returns a [`graphql::Reports`] object whose
//! fields are the reports: a client asks for the figures it needs, and each
//! costs one statement. Every report is over the viewer's scope, as SPEC §3
//! says ("over visible tickets | over the organisation | all"): the
//! per-organisation reports, too, so a partner sees one group there, its
//! own organisation (or none). Reports read from the reporting pool
//! ([`crate::state::AppState::reports_db`], `REPORTS_DATABASE_URL`), which
//! is the primary pool unless a read replica is configured.
//!
//! - [`calendar`]: date ranges and Europe/Zurich buckets (checked input);
//! - [`service`]: the statements, over [`crate::policy::Scoped`] rows only;
//! - [`types`], [`graphql`]: the schema.

pub mod calendar;
pub mod graphql;
pub mod service;
pub mod types;
