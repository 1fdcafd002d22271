//! [`Scoped<E>`]: a select of tenant rows that already carries the
//! viewer's condition, and can only get narrower.
//!
//! Only [`super::Scope`] makes one. What a holder may do with it is the
//! short list below: add conditions (always ANDed with the scope's own),
//! order, limit, run it (`one`, `all`, `count`), turn it into a list of
//! ids for another scoped select (`ids`), or hand its rows, cut down to a
//! few expressions, to an aggregate over them (`rows`, then
//! [`ScopedRows::aggregate`]: how every report is computed). There is no
//! way back to a bare SeaORM `Select`: the field is private and no method
//! hands it out, so a list, a loader, a lookup or a report that takes a
//! `Scoped<E>` cannot be given an unscoped read by mistake.
//!
//! Invariants:
//! - every condition added is ANDed with the scope's (SeaORM's `filter`
//!   never ORs with what is already there);
//! - no join or grouping is reachable on the rows themselves, so a row that
//!   comes out is a whole row the viewer may see, and nothing else (besides,
//!   with [`Scoped::with_value`], one value computed over that row, such
//!   as the sort key of a page, built from other scoped selects, and the
//!   rows the joined selects of [`super::joined`] add, each under the
//!   visibility argument written there);
//! - a projection ([`Scoped::rows`]) is only ever the FROM of an
//!   [`Aggregate`], whose statement reads from nothing else: what leaves it
//!   is a figure over rows the viewer may see.

use sea_orm::sea_query::{
    Alias, Expr, ExprTrait as _, IntoCondition, Query, SelectStatement, SimpleExpr,
    SubQueryStatement,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait, Select, Statement, TryGetable,
};

/// The alias of the value [`Scoped::with_value`] computes.
const VALUE_ALIAS: &str = "pd_computed_value";

/// A select of `E` rows the viewer may see. Made by [`super::Scope`] only.
#[derive(Debug, Clone)]
#[must_use = "a scoped select does nothing until it runs"]
pub struct Scoped<E: EntityTrait> {
    select: Select<E>,
}

impl<E: EntityTrait> Scoped<E> {
    /// Wraps a select that carries the scope's condition. Policy only.
    pub(super) fn new(select: Select<E>) -> Self {
        Self { select }
    }

    /// The select itself, for the joined selects of the policy module.
    pub(super) fn into_select(self) -> Select<E> {
        self.select
    }

    /// Keeps the rows that also meet `condition`.
    pub fn filter(self, condition: impl IntoCondition) -> Self {
        Self::new(self.select.filter(condition))
    }

    /// Orders by `column`, after any order already given.
    pub fn order_by(self, column: E::Column, order: Order) -> Self {
        Self::new(self.select.order_by(column, order))
    }

    /// Orders by a value computed over the row (e.g. a scoped subquery
    /// over the row's order), after any order already given.
    pub fn order_by_expr(self, expr: SimpleExpr, order: Order) -> Self {
        Self::new(self.select.order_by(expr, order))
    }

    pub fn order_by_asc(self, column: E::Column) -> Self {
        self.order_by(column, Order::Asc)
    }

    pub fn order_by_desc(self, column: E::Column) -> Self {
        self.order_by(column, Order::Desc)
    }

    /// At most `n` rows.
    pub fn limit(self, n: u64) -> Self {
        Self::new(self.select.limit(n))
    }

    /// `column` of every row, as a subquery for another scoped select
    /// (e.g. the tickets whose order's recipient matches a search).
    pub fn ids(self, column: E::Column) -> ScopedIds {
        ScopedIds(self.select.select_only().column(column).into_query())
    }

    /// Every row, cut down to `columns` (each an expression over the row
    /// and the name it goes by), as the rows of an [`Aggregate`].
    pub fn rows<'a>(self, columns: impl IntoIterator<Item = (SimpleExpr, &'a str)>) -> ScopedRows {
        let mut select = self.select.select_only();
        for (expr, name) in columns {
            select = select.column_as(expr, name);
        }
        ScopedRows(select.into_query())
    }

    /// The first row, if any.
    pub async fn one(self, db: &impl ConnectionTrait) -> Result<Option<E::Model>, DbErr>
    where
        E::Model: FromQueryResult,
    {
        self.select.one(db).await
    }

    /// Every row.
    pub async fn all(self, db: &impl ConnectionTrait) -> Result<Vec<E::Model>, DbErr>
    where
        E::Model: FromQueryResult,
    {
        self.select.all(db).await
    }

    /// Every row, with what `read` takes from the same result row: the
    /// columns a joined select of the policy module added, the value of
    /// [`Scoped::with_value`].
    pub async fn all_reading<T>(
        self,
        db: &impl ConnectionTrait,
        read: impl Fn(&QueryResult) -> Result<T, DbErr>,
    ) -> Result<Vec<(E::Model, T)>, DbErr>
    where
        E::Model: FromQueryResult,
    {
        let statement = self.select.build(db.get_database_backend());
        db.query_all_raw(statement)
            .await?
            .iter()
            .map(|row| Ok((E::Model::from_query_result(row, "")?, read(row)?)))
            .collect()
    }

    /// The same rows, each with the value of `expr` over it, to read with
    /// [`Scoped::value`] in [`Scoped::all_reading`]. `expr` reads the row
    /// and scoped selects only.
    pub fn with_value(self, expr: SimpleExpr) -> Self {
        Self::new(self.select.expr_as(expr, VALUE_ALIAS))
    }

    /// The value [`Scoped::with_value`] added, from a result row.
    pub fn value<V: TryGetable>(row: &QueryResult) -> Result<V, DbErr> {
        row.try_get("", VALUE_ALIAS)
    }

    /// How many rows (at most the limit, if one is set).
    pub async fn count<C: ConnectionTrait>(self, db: &C) -> Result<u64, DbErr>
    where
        E::Model: FromQueryResult + Send + Sync,
    {
        self.select.count(db).await
    }

    /// How many rows, as `SELECT COUNT(*) FROM … WHERE …` over the rows'
    /// own table and conditions (no order, no limit): an index that covers
    /// the conditions answers it without reading the table
    /// (`totalCount`).
    pub async fn total(self, db: &impl ConnectionTrait) -> Result<u64, DbErr> {
        let mut query = self.select.into_query();
        query.clear_selects().clear_order_by();
        query.expr_as(Expr::cust("COUNT(*)"), Alias::new(VALUE_ALIAS));
        query.reset_limit().reset_offset();
        let statement = db.get_database_backend().build(&query);
        let row = db.query_one_raw(statement).await?;
        let count: i64 = match row {
            Some(row) => row.try_get("", VALUE_ALIAS)?,
            None => 0,
        };
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

/// One column of the rows of a [`Scoped`] select, for `column IN (…)` in
/// another one. Carries the scope of the select it came from.
#[derive(Debug, Clone)]
#[must_use]
pub struct ScopedIds(SelectStatement);

impl ScopedIds {
    /// `column IN (these ids)`.
    pub fn contain(self, column: impl ColumnTrait) -> SimpleExpr {
        column.in_subquery(self.0)
    }

    /// The one value of a select that yields at most one row (a ticket's
    /// order, correlated with the outer row), as a scalar subquery: NULL
    /// when there is none.
    pub fn single(self) -> SimpleExpr {
        SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(self.0)))
    }

    /// `value IN (these ids)`, for a value computed over the outer row
    /// (e.g. the author of a ticket's latest comment).
    pub fn contain_value(self, value: SimpleExpr) -> SimpleExpr {
        value.in_subquery(self.0)
    }

    /// `column NOT IN (these ids)` (e.g. the orders on no live invoice).
    /// The column of the ids must be NOT NULL, or nothing passes.
    pub fn exclude(self, column: impl ColumnTrait) -> SimpleExpr {
        column.not_in_subquery(self.0)
    }
}

/// The rows of a [`Scoped`] select cut down to a few named expressions
/// ([`Scoped::rows`]), or the rows an [`Aggregate`] over them produced
/// ([`Aggregate::nest`]). Only the FROM of an [`Aggregate`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ScopedRows(SelectStatement);

/// The name the rows of an [`Aggregate`] go by in its statement.
const ROWS: &str = "scoped_rows";

impl ScopedRows {
    /// `SELECT … FROM (these rows) AS scoped_rows`: an aggregate whose
    /// expressions, groups and order the caller adds, and which reads
    /// nothing but these rows.
    pub fn aggregate(self) -> Aggregate {
        let mut select = Query::select();
        select.from_subquery(self.0, Alias::new(ROWS));
        Aggregate(select)
    }
}

/// A statement over [`ScopedRows`] only: the caller picks expressions
/// (aggregates, window functions), groups and orders, and runs it. The
/// names of the rows' columns are plain identifiers (`Expr::col(name)`).
#[derive(Debug, Clone)]
#[must_use = "an aggregate does nothing until it runs"]
pub struct Aggregate(SelectStatement);

impl Aggregate {
    /// Adds `expr AS name` to what the statement returns.
    pub fn expr_as(mut self, expr: impl Into<SimpleExpr>, name: &str) -> Self {
        self.0.expr_as(expr, Alias::new(name));
        self
    }

    /// Groups by `expr` (one of the rows' columns, or an expression over
    /// them).
    pub fn group_by(mut self, expr: impl Into<SimpleExpr>) -> Self {
        self.0.add_group_by([expr.into()]);
        self
    }

    /// Keeps the rows that meet `condition` (before grouping).
    pub fn filter(mut self, condition: impl Into<SimpleExpr>) -> Self {
        self.0.and_where(condition.into());
        self
    }

    /// Orders the result by `expr`.
    pub fn order_by(mut self, expr: impl Into<SimpleExpr>, order: Order) -> Self {
        self.0.order_by_expr(expr.into(), order);
        self
    }

    /// The rows this statement produces, as the rows of another aggregate
    /// (e.g. ranks by a window function, then a pick among them).
    pub fn nest(self) -> ScopedRows {
        ScopedRows(self.0)
    }

    /// The statement in `db`'s dialect, to run with
    /// `FromQueryResult::find_by_statement`.
    pub fn statement(&self, db: &impl ConnectionTrait) -> Statement {
        db.get_database_backend().build(&self.0)
    }
}
