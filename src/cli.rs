//! The command line: one binary, several subcommands, every setting from a
//! flag or an environment variable (`partnerdesk --help`).

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use entity::enums::{Locale, Role};

use crate::clock::SystemClock;
use crate::config::{Config, ConfigError, Settings};
use crate::invoices::billing::Quarter;
use crate::policy::Scope;
use crate::startup::{Application, shutdown_signal};
use crate::{graphql, invoices, seed, telemetry, users};

/// partnerdesk: the GraphQL backend of a partner service desk.
#[derive(Debug, Parser)]
#[command(name = "partnerdesk", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, seed demo data into an empty database, and serve (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Seed demo data into an empty database and print the demo logins;
    /// with `--scale`, generate a data set for measuring instead.
    Seed(SeedArgs),
    /// Print the GraphQL schema (SDL) to stdout.
    ExportSchema,
    /// Create a user (e.g. the first administrator) and print its password.
    CreateUser(CreateUserArgs),
    /// Issue the quarterly invoices of a quarter that is over (for a
    /// scheduler) and print what was issued; running it again issues nothing.
    Invoice(InvoiceArgs),
}

/// Arguments of `seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Generate a data set of this size instead of the demo: small (about
    /// the demo), medium (100 partners, 2,000 users, 100,000 tickets,
    /// 300,000 comments) or large (500 partners, 10,000 users, 1,000,000
    /// tickets, 3,000,000 comments).
    #[arg(long, value_enum)]
    pub scale: Option<CliScale>,
    /// The generator's seed: the same seed (and day) gives the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Delete every row of every table first (organisations, users,
    /// tickets, invoices, outbox, login attempts, …); without it, a
    /// database that has organisations is left alone.
    #[arg(long, requires = "scale")]
    pub wipe: bool,
}

/// Data set sizes, as typed on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CliScale {
    Small,
    Medium,
    Large,
}

impl From<CliScale> for seed::generator::Scale {
    fn from(scale: CliScale) -> Self {
        match scale {
            CliScale::Small => Self::Small,
            CliScale::Medium => Self::Medium,
            CliScale::Large => Self::Large,
        }
    }
}

/// Arguments of `invoice`.
#[derive(Debug, Args)]
pub struct InvoiceArgs {
    /// The quarter to invoice, e.g. `2026-Q3` (Europe/Zurich calendar).
    #[arg(long)]
    pub quarter: String,
}

/// Arguments of `create-user`.
#[derive(Debug, Args)]
pub struct CreateUserArgs {
    /// Login email.
    #[arg(long)]
    pub email: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// Role of the new user.
    #[arg(long, value_enum, default_value = "admin")]
    pub role: CliRole,
    /// Name of the user's organisation. For a staff or admin user, the
    /// provider organisation is created with this name if it does not exist.
    #[arg(long, default_value = "Provider")]
    pub organisation: String,
    /// Language of the user's emails.
    #[arg(long, value_enum, default_value = "en")]
    pub locale: CliLocale,
    /// Read the password from the first line of standard input instead of
    /// generating one.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Roles, as typed on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CliRole {
    PartnerMember,
    PartnerManager,
    Staff,
    Admin,
}

impl From<CliRole> for Role {
    fn from(role: CliRole) -> Self {
        match role {
            CliRole::PartnerMember => Role::PartnerMember,
            CliRole::PartnerManager => Role::PartnerManager,
            CliRole::Staff => Role::Staff,
            CliRole::Admin => Role::Admin,
        }
    }
}

/// Locales, as typed on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CliLocale {
    Fr,
    De,
    It,
    En,
}

impl From<CliLocale> for Locale {
    fn from(locale: CliLocale) -> Self {
        match locale {
            CliLocale::Fr => Locale::Fr,
            CliLocale::De => Locale::De,
            CliLocale::It => Locale::It,
            CliLocale::En => Locale::En,
        }
    }
}

/// Parses the command line and runs it; errors end as one line on stderr.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(cli: Cli) -> Result<(), ConfigError> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::ExportSchema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Migrate => {
            let config = cli.settings.resolve()?;
            let app =
                Application::build(with_ephemeral_port(config), Arc::new(SystemClock)).await?;
            drop(app);
            println!("migrations applied");
            Ok(())
        }
        Command::Seed(SeedArgs {
            scale: Some(scale),
            seed,
            wipe,
        }) => {
            let config = cli.settings.resolve()?;
            let app =
                Application::build(with_ephemeral_port(config), Arc::new(SystemClock)).await?;
            let options = seed::generator::Options {
                scale: scale.into(),
                seed,
                wipe,
            };
            let progress = seed::generator::Progress::on_stderr();
            match seed::generator::generate(app.state(), options, &progress)
                .await
                .map_err(seed_error)?
            {
                Some(generated) => print_generated(options, &generated),
                None => {
                    return Err(ConfigError::new(
                        "DATABASE_URL",
                        "the database already has data: nothing generated (--wipe deletes it first)",
                    ));
                }
            }
            Ok(())
        }
        Command::Seed(SeedArgs { scale: None, .. }) => {
            let config = cli.settings.resolve()?;
            let app =
                Application::build(with_ephemeral_port(config), Arc::new(SystemClock)).await?;
            match seed::seed_if_empty(app.state()).await.map_err(seed_error)? {
                Some(logins) => print_logins(&logins),
                None => println!("the database already has organisations: nothing seeded"),
            }
            Ok(())
        }
        Command::Serve => serve(cli.settings.resolve()?).await,
        Command::Invoice(args) => {
            let quarter = Quarter::parse(&args.quarter)
                .map_err(|e| ConfigError::new("--quarter", e.to_string()))?;
            let config = cli.settings.resolve()?;
            let app =
                Application::build(with_ephemeral_port(config), Arc::new(SystemClock)).await?;
            let state = app.state();
            let scope = Scope::scheduler();
            let run = invoices::service::issue_quarterly(state, &scope, quarter)
                .await
                .map_err(|e| ConfigError::new("invoice", e.message()))?;
            for invoice in &run.invoices {
                let organisation = scope
                    .organisation(&state.db, invoice.organisation_id)
                    .await
                    .map(|o| o.name)
                    .unwrap_or_default();
                println!(
                    "{}  {}  CHF {}  {}",
                    invoice.number,
                    quarter,
                    crate::domain::Cents::from_stored(invoice.total_cents),
                    organisation
                );
            }
            println!("{}", run.summary());
            // Servers on the same database hear of the new invoices.
            state.live.flushed().await;
            Ok(())
        }
        Command::CreateUser(args) => {
            let config = cli.settings.resolve()?;
            let app =
                Application::build(with_ephemeral_port(config), Arc::new(SystemClock)).await?;
            let (password, generated) = if args.password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .map_err(|e| ConfigError::new("--password-stdin", e.to_string()))?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (seed::random_password(), true)
            };
            let email = args.email.clone();
            users::service::create_first_user(
                app.state(),
                users::service::CliNewUser {
                    email: args.email,
                    display_name: args.name,
                    role: args.role.into(),
                    locale: args.locale.into(),
                    organisation: args.organisation,
                    password: password.clone(),
                },
            )
            .await
            .map_err(|e| ConfigError::new("create-user", e.message()))?;
            if generated {
                println!("created {email} with password {password}");
            } else {
                println!("created {email}");
            }
            Ok(())
        }
    }
}

async fn serve(config: Config) -> Result<(), ConfigError> {
    let seed_demo = config.seed_demo_data;
    let app = Application::build(config, Arc::new(SystemClock)).await?;
    if seed_demo && let Some(logins) = seed::seed_if_empty(app.state()).await.map_err(seed_error)? {
        print_logins(&logins);
    }
    let addr = app
        .local_addr()
        .map_err(|e| ConfigError::new("PARTNERDESK_BIND", e.to_string()))?;
    println!("partnerdesk listening on http://{addr}/ (GraphQL at http://{addr}/graphql)");
    tracing::info!(%addr, "listening");
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| ConfigError::new("PARTNERDESK_BIND", format!("server error: {e}")))
}

/// Commands that only touch the database must not fight a running server
/// for its port.
fn with_ephemeral_port(mut config: Config) -> Config {
    config.bind.set_port(0);
    config
}

fn seed_error(e: crate::error::AppError) -> ConfigError {
    ConfigError::new("DATABASE_URL", format!("seeding failed: {e:?}"))
}

fn print_logins(logins: &[seed::DemoLogin]) {
    println!("demo data seeded; logins (passwords are generated once, keep them):");
    for login in logins {
        println!(
            "  {:<16} {:<40} {:<24} {}",
            login.role, login.email, login.password, login.organisation
        );
    }
}

fn print_generated(options: seed::generator::Options, generated: &seed::generator::Generated) {
    let c = &generated.counts;
    println!(
        "generated the {} data set (seed {}) in {:.1} s: {} organisations, {} users, {} tickets, \
         {} orders, {} events, {} comments, {} attachments, {} invoices, {} invoice lines",
        options.scale.name(),
        options.seed,
        generated.elapsed.as_secs_f64(),
        c.organisations,
        c.users,
        c.tickets,
        c.orders,
        c.ticket_events,
        c.comments,
        c.attachments,
        c.invoices,
        c.invoice_lines
    );
    println!(
        "every generated user's password is {} (keep it; it is not stored anywhere else)",
        generated.password
    );
    println!("logins:");
    for login in &generated.logins {
        let whose = match (login.visibility, login.size) {
            (Some(visibility), Some(size)) => format!(
                "{} ({size} {visibility:?} partner, {} tickets)",
                login.organisation, login.tickets
            ),
            _ => login.organisation.clone(),
        };
        println!(
            "  {:<16} {:<48} {}",
            format!("{:?}", login.role),
            login.email,
            whose
        );
    }
}
